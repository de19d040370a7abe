// Pin: drivers/md/dm-ploop-map.c at 9d144ac5da74 (OpenVZ/vzkernel; docs/ploop.md).
// Copy-on-write: a write to a cluster a snapshot (lower) delta holds takes
// the cluster's lock, reads the cluster whole from that delta (stage #0),
// writes it to a new cluster of the top delta (stage #1), has the index
// updated (stage #2, on the piwb's cow_list), and on the BAT write's
// completion releases the lock and requeues the write, which then finds
// the cluster in the top delta.
#include "model/events.h"
#include "model/ploop/internal.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/known_finding.h"

namespace wbsim::model {

WBSIM_KNOWN_FINDING(kFindingCowIndexBeforeData, "ploop-cow-index-before-data", "ploop-crash-consistency",
                    "ploop/cow_index_before_data",
                    "a COW's index update is written without a flush after the copy: a power cut can keep the "
                    "index and lose the copy, and with it the snapshot's data");

namespace {

// BLK_STS_AGAIN's value as a blk_status_t.
constexpr int kBlkStsAgainValue = 12;

// ploop_queue_or_fail(): requeue the write, or end it with the error. The
// driver compares the -errno with BLK_STS_AGAIN, a blk_status_t, so no
// error is ever requeued ("FIXME: do we use BLK_STS_AGAIN?").
void ploop_queue_or_fail(Ploop& ploop, int err, Pio& pio) {
  if (err != 0 && err != kBlkStsAgainValue) {
    pio.bi_status = errno_to_blk_status(err);
    ploop_pio_endio(pio);
  } else {
    ploop_dispatch_pios(ploop, &pio, nullptr);
  }
}

void ploop_cow_endio(Pio& aux_pio) {
  aux_pio.queue_list_id = PLOOP_LIST_COW;
  ploop_dispatch_pios(*aux_pio.ploop, &aux_pio, nullptr);
}

// ploop_alloc_pio_with_pages() + ploop_pio_prepare_offsets(): a pio over
// one whole cluster of `cow`'s pages.
void ploop_prepare_aux_pio(Ploop& ploop, PloopCow& cow, PioOp op, std::uint32_t clu) {
  Pio& aux_pio = *cow.aux_pio;
  ploop_init_pio(ploop, op, aux_pio);
  aux_pio.buf = &cow.pages;
  aux_pio.buf_off = 0;
  aux_pio.bi_sector = std::uint64_t{clu} << ploop.cluster_log;
  aux_pio.bi_size = ploop.clu_size();
  aux_pio.cow = &cow;
  aux_pio.endio_cb = [](Pio& p, BlkStatus) { ploop_cow_endio(p); };
}

int ploop_submit_cluster_cow(Ploop& ploop, std::uint8_t level, std::uint32_t clu, std::uint32_t dst_clu, Pio& cow_pio) {
  ploop.cows.push_back(std::make_unique<PloopCow>());
  PloopCow& cow = *ploop.cows.back();
  cow.ploop = &ploop;
  cow.dst_clu = kBatEntryNone;
  cow.pages.assign(ploop.clu_size(), 0);
  cow.aux_pio = &ploop_alloc_pio(ploop);
  cow.cow_pio = &cow_pio;
  // Prepare the read of the secondary delta.
  ploop_prepare_aux_pio(ploop, cow, PioOp::read, clu);
  ploop_add_cluster_lk(ploop, cow_pio, clu);
  // Stage #0: read the secondary delta's cluster whole.
  ploop_map_and_submit_rw(ploop, dst_clu, *cow.aux_pio, level);
  return 0;
}

// Stage #1: a cluster of the top delta, and the data written there.
void ploop_submit_cluster_write(PloopCow& cow) {
  Ploop& ploop = *cow.ploop;
  std::uint32_t dst_clu = 0;
  const int ret = ploop_allocate_cluster(ploop, &dst_clu);
  if (ret < 0) {
    ploop_complete_cow(cow, errno_to_blk_status(ret));
    return;
  }
  cow.dst_clu = dst_clu;
  trace_ev(Ev::ploop_alloc, cow.cow_pio->clu, dst_clu);
  ploop_prepare_aux_pio(ploop, cow, PioOp::write, dst_clu);
  ploop_map_and_submit_rw(ploop, dst_clu, *cow.aux_pio, ploop.top_level());
}

// Stage #2: the data is in the top delta; record it in the md page's
// pending index update.
void ploop_submit_cow_index_wb(PloopCow& cow) {
  Ploop& ploop = *cow.ploop;
  Pio& aux_pio = *cow.aux_pio;
  std::uint32_t clu = cow.cow_pio->clu;
  SIM_ASSERT(aux_pio.queue_list_id == PLOOP_LIST_COW);  // WARN_ON_ONCE
  const std::uint32_t page_id = ploop_bat_clu_to_page_nr(clu);
  MdPage& md = ploop_md_page_find(ploop, page_id);
  if (ploop_delay_if_md_busy(ploop, md, PiwbType::alloc, aux_pio)) return;
  if (!(md.status & MD_DIRTY)) {
    // Unlocked: MD_DIRTY is set and cleared from this work.
    ploop_prepare_bat_update(ploop, md, PiwbType::alloc);
    ploop_md_make_dirty(ploop, md);
  }
  PloopIndexWb& piwb = *md.piwb;
  clu = static_cast<std::uint32_t>(clu - (std::int64_t{page_id} * kBatEntriesPerPage - kPloopMapOffset));
  SIM_ASSERT_MSG(piwb.bat_page[clu] == 0, "COW of cluster {}: its index is already set", cow.cow_pio->clu);  // WARN_ON(to[clu])
  piwb.bat_page[clu] = cow.dst_clu;
  // The copy was written without IOCB_DSYNC and nothing flushes it before
  // the md page write that maps it (docs/ploop.md, the pinned finding).
  sim::known_finding_reached(kFindingCowIndexBeforeData);
  // Prevent a double clearing of the holes bitmap bit in ploop_complete_cow().
  cow.dst_clu = kBatEntryNone;
  piwb.cow_list.push_back(&aux_pio);
}

}  // namespace

void ploop_complete_cow(PloopCow& cow, BlkStatus bi_status) {
  Ploop& ploop = *cow.ploop;
  const std::uint32_t dst_clu = cow.dst_clu;
  Pio& cow_pio = *cow.cow_pio;
  ploop_del_cluster_lk(ploop, cow_pio);
  if (dst_clu != kBatEntryNone && bi_status != BlkStatus::ok) ploop_hole_set_bit(dst_clu, ploop);
  ploop_queue_or_fail(ploop, blk_status_to_errno(bi_status), cow_pio);
  ploop.wq->queue_work(*ploop.worker);
  // ploop_free_pio_with_pages(), kmem_cache_free(): kept for the checkers.
}

void ploop_initiate_cluster_cow(Ploop& ploop, std::uint8_t level, std::uint32_t clu, std::uint32_t dst_clu, Pio& pio) {
  if (ploop_submit_cluster_cow(ploop, level, clu, dst_clu, pio) == 0) return;
  pio.bi_status = BlkStatus::resource;
  ploop_pio_endio(pio);
}

void ploop_process_delta_cow(Ploop& ploop, std::deque<Pio*>& cow_list) {
  (void)ploop;
  while (!cow_list.empty()) {
    Pio* aux_pio = cow_list.front();
    cow_list.pop_front();
    PloopCow& cow = *aux_pio->cow;
    if (aux_pio->bi_status != BlkStatus::ok) {
      ploop_complete_cow(cow, aux_pio->bi_status);
      continue;
    }
    if (cow.dst_clu == kBatEntryNone) {
      ploop_submit_cluster_write(cow);  // stage #1: assign dst_clu, write the data to the top delta
    } else {
      ploop_submit_cow_index_wb(cow);  // stage #2: the data is in the top delta; update the index
    }
  }
}

}  // namespace wbsim::model
