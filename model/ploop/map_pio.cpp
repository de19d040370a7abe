// Pin: drivers/md/dm-ploop-map.c at 9d144ac5da74 (OpenVZ/vzkernel; docs/ploop.md).
// Pios: initialisation, splitting at cluster boundaries, dispatch to the
// workers' lists, the inflight and exclusive (cluster lock) hashes,
// completion, and submission to the image file.
#include <algorithm>
#include <cstring>

#include "model/events.h"
#include "model/ploop/internal.h"
#include "model/ploop/variants.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/known_finding.h"

namespace wbsim::model {

WBSIM_KNOWN_FINDING(kFindingFuaDropped, "ploop-fua-dropped", "ploop-crash-consistency", "ploop/fua_write_not_durable",
                    "the queue advertises FUA, but a request's REQ_FUA never reaches the image file: the write is "
                    "acknowledged before it is durable");

namespace {

void ploop_handle_cleanup(Ploop& ploop, Pio& pio);

}  // namespace

Pio& ploop_alloc_pio(Ploop& ploop) {
  ploop.pio_pool.push_back(std::make_unique<Pio>());
  Pio& pio = *ploop.pio_pool.back();
  pio.id = ploop.next_pio_id++;
  return pio;
}

void ploop_index_wb_init(PloopIndexWb& piwb, Ploop& ploop) {
  piwb.ploop = &ploop;
  piwb.comp = nullptr;
  piwb.comp_bi_status = nullptr;
  piwb.md = nullptr;
  piwb.bi_status = BlkStatus::ok;
  piwb.ready_data_pios.clear();
  piwb.count = 1;  // for ploop_bat_write_complete()
  piwb.completed = false;
  piwb.page_id = kPageNrNone;
  piwb.type = PiwbType::alloc;
}

void ploop_init_pio(Ploop& ploop, PioOp bi_op, Pio& pio) {
  pio.ploop = &ploop;
  pio.bi_op = bi_op;
  pio.wants_discard_index_cleanup = false;
  pio.is_data_alloc = false;
  pio.free_on_endio = false;
  pio.inflight_ref = false;
  pio.queue_list_id = PLOOP_LIST_DEFERRED;
  pio.bi_status = BlkStatus::ok;
  pio.remaining = 1;
  pio.piwb = nullptr;
  SIM_ASSERT(!pio.hashed);
  pio.endio_list.clear();
  pio.clu = UINT32_MAX;
  pio.dev_clu = UINT32_MAX;
  pio.level = kBatLevelInvalid;
}

void ploop_init_prq_and_embedded_pio(Ploop& ploop, PloopRq& prq, Pio& pio) {
  // req_op(rq): the request's flags stay behind, REQ_FUA among them; the
  // pio goes to the image file as a plain IOCB_DIRECT write and is
  // acknowledged when that completes (docs/ploop.md, the pinned finding).
  if (prq.fua) sim::known_finding_reached(kFindingFuaDropped);
  ploop_init_pio(ploop, prq.op, pio);
  pio.prq = &prq;
  pio.endio_cb = [](Pio& p, BlkStatus s) {
    // ploop_prq_endio(): the exit point of a request, where ENOSPC is
    // handled: the embedded pio is reinitialised as if it had just come
    // from above and resubmitted after a timeout.
    Ploop& pl = *p.ploop;
    PloopRq& rq = *p.prq;
    if (s == BlkStatus::nospc && !variant::enospc_fails_pio()) {
      SIM_ASSERT(op_is_write(p.bi_op));  // WARN_ON_ONCE(!op_is_write(pio->bi_op))
      // ploop_try_delay_enospc()
      if (!pl.wants_suspend) {
        ploop_init_prq_and_embedded_pio(pl, rq, p);
        pl.event_enospc = true;
        pl.enospc_pios.push_back(&p);
        MODEL_EVENT(ploop_rq_end(pl, p, s, /*delayed=*/true));
        // mod_timer(&ploop->enospc_timer, jiffies + PLOOP_ENOSPC_TIMEOUT)
        const std::uint64_t gen = ++pl.enospc_timer_gen;
        pl.enospc_timer_armed = true;
        sim::Scheduler::current().spawn("ploop.enospc_timer", [&pl, gen] {
          sim::sleep(kPloopEnospcTimeout);
          if (pl.enospc_timer_gen != gen || !pl.enospc_timer_armed) return;  // re-armed or deleted
          pl.enospc_timer_armed = false;
          ploop_enospc_timer(pl);
        });
        return;
      }
    }
    MODEL_EVENT(ploop_rq_end(pl, p, s, /*delayed=*/false));
    trace_ev(Ev::ploop_rq, rq.id, 1000 + static_cast<std::uint64_t>(s));
    rq.done(s);  // dm_complete_request
  };
}

void ploop_do_pio_endio(Pio& pio) {
  if (--pio.remaining != 0) return;
  SIM_ASSERT_CMP(pio.remaining, ==, 0);
  MODEL_EVENT(ploop_pio_end(*pio.ploop, pio));
  auto endio_cb = pio.endio_cb;  // the callback may reinitialise the pio
  endio_cb(pio, pio.bi_status);
}

void ploop_pio_endio(Pio& pio) {
  ploop_handle_cleanup(*pio.ploop, pio);
  ploop_do_pio_endio(pio);
}

namespace {

// ploop_pio_chain(): the split ends into its parent.
void ploop_pio_chain(Pio& pio, Pio& parent) {
  SIM_ASSERT(!pio.endio_cb);
  Pio* p = &parent;
  pio.endio_cb = [p](Pio&, BlkStatus s) {  // ploop_pio_chain_endio
    if (s != BlkStatus::ok) p->bi_status = s;
    ploop_do_pio_endio(*p);
  };
  ++parent.remaining;
}

Pio* ploop_split_and_chain_pio(Ploop& ploop, Pio& pio, std::uint32_t len) {
  Pio& split = ploop_alloc_pio(ploop);
  ploop_init_pio(ploop, pio.bi_op, split);
  split.queue_list_id = pio.queue_list_id;
  split.free_on_endio = true;
  split.buf = pio.buf;
  split.buf_off = pio.buf_off;
  split.bi_sector = pio.bi_sector;
  split.bi_size = len;
  split.endio_cb = nullptr;
  split.prq = nullptr;
  ploop_pio_chain(split, pio);
  if (len != 0) ploop_pio_advance(pio, len);
  return &split;
}

}  // namespace

void ploop_pio_advance(Pio& pio, std::uint32_t bytes) {
  SIM_ASSERT_CMP(bytes, <=, pio.bi_size);  // "catch if we try to advance pio past bio end"
  pio.bi_sector += bytes / kSectorSize;
  pio.bi_size -= bytes;
  if (pio.bi_op != PioOp::discard) pio.buf_off += bytes;
}

int ploop_split_pio_to_list(Ploop& ploop, Pio& pio, std::deque<Pio*>& ret_list) {
  const std::uint64_t clu_size = ploop.clu_size();
  std::deque<Pio*> list;
  for (;;) {
    const std::uint64_t start = pio.bi_sector * kSectorSize;
    std::uint64_t end = start + pio.bi_size;
    SIM_ASSERT(start != end);  // WARN_ON_ONCE(start == end)
    if (start / clu_size == (end - 1) / clu_size) break;
    end = (start / clu_size + 1) * clu_size;  // round_up(start + 1, clu_size)
    list.push_back(ploop_split_and_chain_pio(ploop, pio, static_cast<std::uint32_t>(end - start)));
  }
  ret_list.insert(ret_list.end(), list.begin(), list.end());
  ret_list.push_back(&pio);
  return 0;
}

void ploop_dispatch_pios(Ploop& ploop, Pio* pio, std::deque<Pio*>* pio_list) {
  bool is_data = false, is_flush = false;
  auto dispatch = [&](Pio& p) {  // ploop_dispatch_pio()
    SIM_ASSERT_CMP(static_cast<int>(p.queue_list_id), <, static_cast<int>(PLOOP_LIST_COUNT));
    if (p.queue_list_id == PLOOP_LIST_FLUSH) {
      is_flush = true;
      MODEL_EVENT(ploop_flush_queued(ploop, p));
    } else {
      is_data = true;
    }
    ploop.pios[p.queue_list_id].push_back(&p);
  };
  if (pio != nullptr) dispatch(*pio);
  if (pio_list != nullptr) {
    while (!pio_list->empty()) {
      Pio* p = pio_list->front();
      pio_list->pop_front();
      dispatch(*p);
    }
  }
  if (is_data) ploop.wq->queue_work(*ploop.worker);
  if (is_flush) ploop.wq->queue_work(*ploop.fsync_worker);
}

bool ploop_delay_if_md_busy(Ploop& ploop, MdPage& md, PiwbType type, Pio& pio) {
  (void)ploop;
  PloopIndexWb* piwb = md.piwb;
  if (piwb != nullptr && (piwb->type != type || (md.status & MD_WRITEBACK)) &&
      !variant::md_redirty_under_writeback()) {
    md.wait_list.push_back(&pio);
    return true;
  }
  return false;
}

void ploop_zero_fill_pio(Pio& pio) {
  std::fill_n(pio.buf->begin() + static_cast<long>(pio.buf_off), pio.bi_size, 0);
}

namespace {

Pio* ploop_find_lk_of_cluster(Ploop& ploop, std::uint32_t clu) {
  const auto it = ploop.exclusive_pios.find(clu);
  return it == ploop.exclusive_pios.end() ? nullptr : it->second;
}

// ploop_unlink_pio(): out of its hash; the pios waiting on it go to `out`.
void ploop_unlink_pio(Ploop& ploop, Pio& pio, std::deque<Pio*>& out) {
  SIM_ASSERT(pio.hashed);  // BUG_ON(hlist_unhashed(&pio->hlist_node))
  if (pio.exclusive) {
    ploop.exclusive_pios.erase(pio.clu);
  } else {
    auto& v = ploop.inflight_pios[pio.clu];
    v.erase(std::find(v.begin(), v.end(), &pio));
    if (v.empty()) ploop.inflight_pios.erase(pio.clu);
  }
  pio.hashed = false;
  pio.exclusive = false;
  out.insert(out.end(), pio.endio_list.begin(), pio.endio_list.end());
  pio.endio_list.clear();
}

void ploop_dec_nr_inflight(Ploop& ploop, Pio& pio) {
  if (!pio.inflight_ref) return;
  --ploop.inflight;
  pio.inflight_ref = false;
  if (ploop.inflight == 0) ploop.idle_wq->wake_up();  // percpu_ref release: a suspend may wait
}

void ploop_unlink_completed_pio(Ploop& ploop, Pio& pio) {
  if (!pio.hashed) return;
  std::deque<Pio*> list;
  ploop_unlink_pio(ploop, pio, list);
  if (!list.empty()) ploop_dispatch_pios(ploop, nullptr, &list);
}

void ploop_handle_cleanup(Ploop& ploop, Pio& pio) {
  if (pio.wants_discard_index_cleanup) ploop_del_cluster_lk(ploop, pio);  // ploop_discard_index_pio_end
  ploop_unlink_completed_pio(ploop, pio);
  ploop_dec_nr_inflight(ploop, pio);
}

}  // namespace

bool ploop_postpone_if_cluster_locked(Ploop& ploop, Pio& pio, std::uint32_t clu) {
  if (variant::discard_skips_cluster_lock()) return false;
  Pio* e_h = ploop_find_lk_of_cluster(ploop, clu);
  if (e_h != nullptr) ploop_add_endio_pio(*e_h, pio);
  return e_h != nullptr;
}

void ploop_add_endio_pio(Pio& head, Pio& pio) { head.endio_list.push_back(&pio); }

void ploop_add_cluster_lk(Ploop& ploop, Pio& pio, std::uint32_t clu) {
  SIM_ASSERT(ploop_find_lk_of_cluster(ploop, clu) == nullptr);  // ploop_link_pio(exclusive): WARN_ON_ONCE
  SIM_ASSERT(!pio.hashed);
  ploop.exclusive_pios[clu] = &pio;
  pio.hashed = true;
  pio.exclusive = true;
  pio.clu = clu;
  MODEL_EVENT(ploop_cluster_lock(ploop, clu, pio, true));
}

void ploop_del_cluster_lk(Ploop& ploop, Pio& pio) {
  std::deque<Pio*> list;
  const std::uint32_t clu = pio.clu;
  ploop_unlink_pio(ploop, pio, list);
  MODEL_EVENT(ploop_cluster_lock(ploop, clu, pio, false));
  if (!list.empty()) ploop_dispatch_pios(ploop, nullptr, &list);
}

void ploop_link_submitting_pio(Ploop& ploop, Pio& pio, std::uint32_t clu) {
  SIM_ASSERT(!pio.hashed);
  ploop.inflight_pios[clu].push_back(&pio);
  pio.hashed = true;
  pio.exclusive = false;
  pio.clu = clu;
}

Pio* ploop_find_inflight_bio(Ploop& ploop, std::uint32_t clu) {
  const auto it = ploop.inflight_pios.find(clu);
  // The hash chain's first: the most recently linked (hlist_add_head).
  return it == ploop.inflight_pios.end() ? nullptr : it->second.back();
}

void ploop_inc_nr_inflight(Ploop& ploop, Pio& pio) {
  SIM_ASSERT(!pio.inflight_ref);  // WARN_ON_ONCE(pio->ref_index != PLOOP_REF_INDEX_INVALID)
  ++ploop.inflight;
  pio.inflight_ref = true;
}

bool ploop_pio_endio_if_all_zeros(Pio& pio) {
  const auto* p = pio.buf->data() + pio.buf_off;
  if (std::any_of(p, p + pio.bi_size, [](std::uint8_t b) { return b != 0; })) return false;
  ploop_pio_endio(pio);
  return true;
}

namespace {

// ploop_data_rw_complete(): a partial write resubmits the rest; a data pio
// of an allocation waits for its index writeback.
void ploop_data_rw_complete(Pio& pio) {
  if (pio.ret != static_cast<long>(pio.bi_size)) {
    if (pio.ret >= 0) {
      SIM_ASSERT(pio.ret != 0);  // WARN_ON_ONCE(pio->ret == 0)
      ploop_pio_advance(pio, static_cast<std::uint32_t>(pio.ret));
      ploop_queue_resubmit(pio);
      return;
    }
    pio.bi_status = errno_to_blk_status(pio.ret);
  }
  if (pio.is_data_alloc && !variant::data_pio_skips_bat_wait()) {
    if (!ploop_data_pio_end(pio)) return;
  }
  ploop_pio_endio(pio);
}

}  // namespace

void ploop_queue_resubmit(Pio& pio) {
  Ploop& ploop = *pio.ploop;
  pio.queue_list_id = PLOOP_LIST_INVALID;
  ploop.resubmit_pios.push_back(&pio);
  ploop.wq->queue_work(*ploop.worker);
}

// ploop_submit_rw_mapped() with ploop_call_rw_iter(): an IOCB_DIRECT kiocb
// on the delta's file, completed through ploop_aio_complete.
void ploop_submit_rw_mapped(Ploop& ploop, Pio& pio) {
  SIM_ASSERT_CMP(pio.level, <=, ploop.top_level());  // BUG_ON(pio->level > ploop_top_level(ploop))
  // ploop->deltas[pio->level].file; the lower ones are opened read-only.
  ImageFile& file = pio.level == ploop.top_level() ? *ploop.file : *ploop.lower_deltas[pio.level];
  SIM_ASSERT_MSG(&file == ploop.file.get() || !op_is_write(pio.bi_op), "pio {} writes to read-only delta {}", pio.id,
                 pio.level);
  pio.complete = ploop_data_rw_complete;
  const bool write = op_is_write(pio.bi_op);
  const loff_t pos = static_cast<loff_t>(pio.bi_sector * kSectorSize);
  trace_ev(Ev::ploop_rw, pio.id, static_cast<std::uint64_t>(pos));
  MODEL_EVENT(ploop_pio_to_file(ploop, pio, write));
  Pio* p = &pio;
  if (write) {
    std::vector<std::uint8_t> bytes(pio.buf->begin() + static_cast<long>(pio.buf_off),
                                    pio.buf->begin() + static_cast<long>(pio.buf_off + pio.bi_size));
    file.write_async(pos, std::move(bytes), /*dsync=*/false, [p](long ret) {
      p->ret = ret;
      p->complete(*p);
    });
  } else {
    file.read_async(pos, pio.bi_size, [p](long ret, std::vector<std::uint8_t> bytes) {
      // A read past the file's end is short: ploop_data_rw_complete()
      // resubmits the rest as partial I/O (and WARNs on a read of nothing).
      std::memcpy(p->buf->data() + p->buf_off, bytes.data(), bytes.size());
      p->ret = ret;
      p->complete(*p);
    });
  }
}

void ploop_remap_to_cluster(Ploop& ploop, Pio& pio, std::uint32_t clu) {
  pio.bi_sector &= (1u << ploop.cluster_log) - 1;
  // `clu << ploop->cluster_log` in the driver: a u32 shifted, so a file
  // offset of 2^32 sectors (2 TiB) or more wraps (docs/ploop.md, F12).
  pio.bi_sector |= static_cast<std::uint32_t>(clu << ploop.cluster_log);
}

void ploop_map_and_submit_rw(Ploop& ploop, std::uint32_t dst_clu, Pio& pio, std::uint8_t level) {
  pio.dev_clu = static_cast<std::uint32_t>(pio.bi_sector >> ploop.cluster_log);
  ploop_remap_to_cluster(ploop, pio, dst_clu);
  pio.level = level;
  ploop_submit_rw_mapped(ploop, pio);
}

}  // namespace wbsim::model
