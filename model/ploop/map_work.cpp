// Pin: drivers/md/dm-ploop-map.c at 9d144ac5da74 (OpenVZ/vzkernel; docs/ploop.md).
// The worker (do_ploop_work: prepare, resubmit, deferred, discard, then the
// metadata writeback of what they dirtied), the fsync worker
// (do_ploop_fsync_work), and submission from above.
#include <algorithm>

#include "model/events.h"
#include "model/ploop/internal.h"
#include "model/ploop/variants.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"

namespace wbsim::model {

namespace {

void ploop_initiate_delta_read(Ploop& ploop, std::uint8_t level, std::uint32_t dst_clu, Pio& pio) {
  if (dst_clu == kBatEntryNone) {
    ploop_zero_fill_pio(pio);  // no delta holds the cluster
    ploop_pio_endio(pio);
    return;
  }
  ploop_map_and_submit_rw(ploop, dst_clu, pio, level);
}

// Allocates a new cluster (unless its index wb is already pending) or
// attaches the pio to a planned md page writeback, so data goes out before
// the index is written; the pio completes only once it has been
// (ploop_attach_end_action, ploop_data_pio_end).
bool ploop_locate_new_cluster_and_attach_pio(Ploop& ploop, MdPage& md, std::uint32_t clu, std::uint32_t* dst_clu,
                                             Pio& pio) {
  bool bat_update_prepared = false;
  SIM_ASSERT(pio.queue_list_id == PLOOP_LIST_DEFERRED);
  if (ploop_delay_if_md_busy(ploop, md, PiwbType::alloc, pio)) return false;
  if (!(md.status & MD_DIRTY)) {
    // Unlocked: MD_DIRTY is set and cleared from this work.
    ploop_prepare_bat_update(ploop, md, PiwbType::alloc);
    bat_update_prepared = true;
  }
  PloopIndexWb& piwb = *md.piwb;
  const int err = ploop_alloc_cluster(ploop, piwb, clu, dst_clu);
  if (err != 0) {
    pio.bi_status = errno_to_blk_status(err);
    if (bat_update_prepared) ploop_break_bat_update(ploop, md);  // uninit piwb
    ploop_pio_endio(pio);
    return false;
  }
  if (bat_update_prepared) ploop_md_make_dirty(ploop, md);
  ploop_attach_end_action(pio, piwb);
  return true;
}

void ploop_process_one_deferred_bio(Ploop& ploop, Pio& pio) {
  const std::uint32_t clu = static_cast<std::uint32_t>(pio.bi_sector >> ploop.cluster_log);
  if (ploop_postpone_if_cluster_locked(ploop, pio, clu)) return;
  std::uint8_t level = 0;
  MdPage* md = nullptr;
  std::uint32_t dst_clu = ploop_bat_entries(ploop, clu, &level, &md);
  if (pio.bi_op == PioOp::discard) {
    ploop_handle_discard_pio(ploop, pio, clu, dst_clu);
    return;
  }
  if (ploop_cluster_is_in_top_delta(ploop, clu)) {
    // Already mapped.
  } else if (!op_is_write(pio.bi_op)) {
    // A simple read from a secondary delta (also dst_clu == BAT_ENTRY_NONE).
    ploop_initiate_delta_read(ploop, level, dst_clu, pio);
    return;
  } else if (dst_clu != kBatEntryNone) {
    // Read the secondary delta and write to the top one: COW, rare, so
    // not optimised even for a write of the whole cluster.
    ploop_initiate_cluster_cow(ploop, level, clu, dst_clu, pio);
    return;
  } else {
    if (ploop_pio_endio_if_all_zeros(pio)) return;
    // The cluster exists nowhere: allocate it and send the pio ahead.
    if (!ploop_locate_new_cluster_and_attach_pio(ploop, *md, clu, &dst_clu, pio)) return;
  }
  ploop_link_submitting_pio(ploop, pio, clu);
  ploop_map_and_submit_rw(ploop, dst_clu, pio, ploop.top_level());
}

void ploop_prepare_one_embedded_pio(Ploop& ploop, Pio& pio, std::deque<Pio*>& deferred_pios) {
  PloopRq& prq = *pio.prq;
  pio.bi_size = prq.bytes;
  pio.buf = &prq.data;
  pio.buf_off = 0;
  pio.bi_sector = prq.sector;
  pio.queue_list_id = PLOOP_LIST_DEFERRED;
  ploop_split_pio_to_list(ploop, pio, deferred_pios);
}

void ploop_submit_metadata_writeback(Ploop& ploop) {
  while (!ploop.wb_batch_list.empty()) {
    MdPage& md = *ploop.wb_batch_list.front();
    ploop.wb_batch_list.pop_front();
    md.wb_linked = false;
    // L1L2 mustn't be redirtied when wb is in flight!
    const unsigned old = md.status;
    md.status = (md.status | MD_WRITEBACK) & ~MD_DIRTY;
    trace_ev(Ev::ploop_md, md.id, md.status);
    MODEL_EVENT(ploop_md_status(ploop, md, old));
    SIM_ASSERT_MSG((old & MD_DIRTY) && !(old & MD_WRITEBACK), "md page {}: status {:#x} at writeback", md.id, old);
    trace_ev(Ev::ploop_piwb, md.piwb->id, 1);
    ploop_index_wb_submit(ploop, *md.piwb);
  }
}

std::deque<Pio*> take(std::deque<Pio*>& list) {
  std::deque<Pio*> out;
  out.swap(list);
  return out;
}

}  // namespace

void do_ploop_work(Ploop& ploop) {
  std::deque<Pio*> embedded_pios = take(ploop.pios[PLOOP_LIST_PREPARE]);
  std::deque<Pio*> deferred_pios = take(ploop.pios[PLOOP_LIST_DEFERRED]);
  std::deque<Pio*> discard_pios = take(ploop.pios[PLOOP_LIST_DISCARD]);
  std::deque<Pio*> cow_pios = take(ploop.pios[PLOOP_LIST_COW]);
  std::deque<Pio*> resubmit_pios = take(ploop.resubmit_pios);

  for (Pio* pio : embedded_pios) ploop_prepare_one_embedded_pio(ploop, *pio, deferred_pios);
  for (Pio* pio : resubmit_pios) {
    pio->queue_list_id = PLOOP_LIST_INVALID;
    ploop_submit_rw_mapped(ploop, *pio);
  }
  for (Pio* pio : deferred_pios) ploop_process_one_deferred_bio(ploop, *pio);
  for (Pio* pio : discard_pios) ploop_process_one_discard_pio(ploop, *pio);
  ploop_process_delta_cow(ploop, cow_pios);
  ploop_submit_metadata_writeback(ploop);
}

void do_ploop_fsync_work(Ploop& ploop) {
  std::deque<Pio*> flush_pios = take(ploop.pios[PLOOP_LIST_FLUSH]);
  if (variant::flush_ends_before_fsync()) {
    for (Pio* pio : flush_pios) ploop_pio_endio(*pio);
    flush_pios.clear();
  }
  const int ret = ploop_fsync_image(ploop);
  for (Pio* pio : flush_pios) {
    if (ret != 0) pio->bi_status = errno_to_blk_status(ret);
    MODEL_EVENT(ploop_flush_end(ploop, *pio));
    ploop_pio_endio(*pio);
  }
}

int ploop_fsync_image(Ploop& ploop) {
  MODEL_EVENT(ploop_fsync(ploop, true, 0));
  trace_ev(Ev::ploop_fsync, 0, 0);
  const int ret = ploop.file->fsync();
  trace_ev(Ev::ploop_fsync, 1, static_cast<std::uint64_t>(-ret));
  MODEL_EVENT(ploop_fsync(ploop, false, ret));
  return ret;
}

void ploop_submit_embedded_pio(Ploop& ploop, Pio& pio) {
  PloopRq& prq = *pio.prq;
  sim::Work* worker;
  if (prq.bytes != 0) {
    pio.queue_list_id = PLOOP_LIST_PREPARE;
    worker = ploop.worker.get();
  } else {
    SIM_ASSERT(pio.bi_op == PioOp::flush);  // WARN_ON_ONCE(pio->bi_op != REQ_OP_FLUSH)
    pio.queue_list_id = PLOOP_LIST_FLUSH;
    worker = ploop.fsync_worker.get();
  }
  if (ploop.stop_submitting_pios) {
    ploop.suspended_pios.push_back(&pio);
    return;
  }
  ploop_inc_nr_inflight(ploop, pio);
  if (pio.queue_list_id == PLOOP_LIST_FLUSH) MODEL_EVENT(ploop_flush_queued(ploop, pio));
  ploop.pios[pio.queue_list_id].push_back(&pio);
  ploop.wq->queue_work(*worker);
}

void ploop_submit_embedded_pios(Ploop& ploop, std::deque<Pio*>& list) {
  while (!list.empty()) {
    Pio* pio = list.front();
    list.pop_front();
    ploop_submit_embedded_pio(ploop, *pio);
  }
}

void ploop_enospc_timer(Ploop& ploop) {
  std::deque<Pio*> list = take(ploop.enospc_pios);
  ploop_submit_embedded_pios(ploop, list);
}

}  // namespace wbsim::model
