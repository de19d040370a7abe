// Pin: drivers/md/dm-ploop-map.c at 9d144ac5da74 (OpenVZ/vzkernel; docs/ploop.md).
// Discard: a whole-cluster discard of a mapped cluster takes the cluster's
// lock, punches the hole in the image file, and has the md page's index
// cleared by a PIWB_TYPE_DISCARD update; the cluster goes back to the holes
// bitmap when that update completes (ploop_advance_local_after_bat_wb).
#include "model/ploop/internal.h"
#include "sim/assert.h"

namespace wbsim::model {

void ploop_handle_discard_pio(Ploop& ploop, Pio& pio, std::uint32_t clu, std::uint32_t dst_clu) {
  const std::uint64_t mask = (1u << ploop.cluster_log) - 1;
  if (pio.bi_size != ploop.clu_size() || ((pio.bi_sector + pio.bi_size / kSectorSize) & mask) != 0) {
    // Block layer may submit shorter discards around a trimmed hunk: ignore.
    ploop_pio_endio(pio);
    return;
  }
  if (!ploop_cluster_is_in_top_delta(ploop, clu)) {
    ploop_pio_endio(pio);
    return;
  }
  // With snapshots the hole is punched and the index left alone ("we
  // can't end with EOPNOTSUPP, since blk-mq prints error").
  if (ploop.nr_deltas() == 1) {
    if (Pio* inflight_h = ploop_find_inflight_bio(ploop, clu)) {
      ploop_add_endio_pio(*inflight_h, pio);  // requeued at inflight_h's end
      return;
    }
    ploop_add_cluster_lk(ploop, pio, clu);
    pio.wants_discard_index_cleanup = true;
  }
  // punch_hole:
  ploop_remap_to_cluster(ploop, pio, dst_clu);
  const int ret = ploop.file->fallocate(ImageFile::Falloc::punch_hole, static_cast<loff_t>(pio.bi_sector * kSectorSize),
                                        pio.bi_size);
  if (ret != 0 || ploop.nr_deltas() != 1) {
    if (ret != 0) pio.bi_status = errno_to_blk_status(ret);
    ploop_pio_endio(pio);
    return;
  }
  pio.queue_list_id = PLOOP_LIST_DISCARD;  // ploop_queue_discard_index_wb
  ploop_dispatch_pios(ploop, &pio, nullptr);
}

void ploop_process_one_discard_pio(Ploop& ploop, Pio& pio) {
  bool bat_update_prepared = false;
  std::uint32_t clu = pio.clu;
  SIM_ASSERT(ploop.nr_deltas() == 1 && pio.queue_list_id == PLOOP_LIST_DISCARD);
  MdPage& md = ploop_md_page_find(ploop, ploop_bat_clu_to_page_nr(clu));
  if (ploop_delay_if_md_busy(ploop, md, PiwbType::discard, pio)) return;
  if (!(md.status & MD_DIRTY)) {
    ploop_prepare_bat_update(ploop, md, PiwbType::discard);
    bat_update_prepared = true;
  }
  PloopIndexWb& piwb = *md.piwb;
  clu = static_cast<std::uint32_t>(clu - (std::int64_t{piwb.page_id} * kBatEntriesPerPage - kPloopMapOffset));
  if (piwb.bat_page[clu] == 0) {  // WARN_ON_ONCE(!to[clu])
    SIM_ASSERT_MSG(false, "discard of cluster {} that the piwb does not map", pio.clu);
  }
  piwb.bat_page[clu] = 0;
  piwb.ready_data_pios.push_back(&pio);
  if (bat_update_prepared) ploop_md_make_dirty(ploop, md);
}

}  // namespace wbsim::model
