// Pin: drivers/md/dm-ploop-cmd.c at 70637c92955a, the newest stored (OpenVZ/vzkernel; the
// functions keep its names, with the ploop_ prefixes of dm-ploop-map.c at 9d144ac5 where the
// two differ; docs/ploop.md).
// Grow (`dmsetup message <dev> 0 resize <sectors>`): the BAT needs more file
// clusters, so the data clusters right after it are relocated one by one
// (read, write elsewhere with fsyncs around, BAT page write, then zeros over
// the old place), then the header gets the new size; new pios wait meanwhile.
#include <algorithm>
#include <map>
#include <memory>

#include "model/errno.h"
#include "model/events.h"
#include "model/ploop/internal.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/completion.h"

namespace wbsim::model {

namespace {

// Header fields as words of md page 0 (struct ploop_pvd_header).
constexpr std::size_t kHdrSize = 32 / 4;            // m_Size
constexpr std::size_t kHdrSizeInSectors = 36 / 4;   // m_SizeInSectors_v2 (u64)
constexpr std::size_t kHdrFirstBlockOffset = 48 / 4;  // m_FirstBlockOffset

std::uint64_t hdr_sectors(const std::vector<std::uint32_t>& page) {
  return std::uint64_t{page[kHdrSizeInSectors]} | std::uint64_t{page[kHdrSizeInSectors + 1]} << 32;
}

struct ResizeCmd {
  std::vector<bool> holes_bitmap;
  std::map<std::uint32_t, std::unique_ptr<MdPage>> md_pages;  // md_pages_root
  std::vector<std::uint8_t> buf;  // the service pio's pages (one cluster)
  std::uint32_t dst_clu = 0;
  std::uint32_t end_dst_clu = 0;
  std::uint32_t nr_old_bat_clu = 0;
  std::uint32_t nr_bat_entries = 0;
  std::uint32_t hb_nr = 0;      // the new holes bitmap's
  std::uint32_t old_hb_nr = 0;  // what the rollback returns to
  std::uint64_t new_sectors = 0;
  MdPage* md0 = nullptr;
  bool stage_initial = true;
};

// ploop_advance_holes_bitmap(): the new bitmap replaces the old once; bits
// past the old hb_nr are free, and clusters the BAT maps are taken.
void ploop_advance_holes_bitmap(Ploop& ploop, ResizeCmd& cmd) {
  if (!cmd.stage_initial) return;
  cmd.stage_initial = false;
  std::copy(ploop.holes_bitmap.begin(), ploop.holes_bitmap.end(), cmd.holes_bitmap.begin());
  std::swap(cmd.holes_bitmap, ploop.holes_bitmap);
  for (const auto& [id, md] : ploop.bat_entries) {
    for (std::uint32_t i = 0; i < kBatEntriesPerPage; ++i) {
      const std::int64_t clu = std::int64_t{id} * kBatEntriesPerPage + i - kPloopMapOffset;
      if (clu < 0 || clu >= ploop.nr_bat_entries) continue;
      if (md->page[i] == kBatEntryNone || md->bat_levels[i] != ploop.top_level()) continue;  // not in the top delta
      const std::uint32_t dst_clu = md->page[i];
      // This may happen after grow->shrink->(now) grow.
      if (dst_clu < ploop.holes_bitmap.size() && ploop.holes_bitmap[dst_clu])
        ploop_hole_clear_bit(dst_clu, ploop);
    }
  }
}

// ploop_find_bat_entry(): the device cluster mapping `dst_clu`, and whether
// a pio holds it locked.
std::uint32_t ploop_find_bat_entry(Ploop& ploop, std::uint32_t dst_clu, bool* is_locked) {
  std::uint32_t clu = UINT32_MAX;
  for (std::uint32_t c = 0; c < ploop.nr_bat_entries && clu == UINT32_MAX; ++c) {
    if (ploop_bat_entry(ploop, c) == dst_clu && ploop_cluster_is_in_top_delta(ploop, c)) clu = c;
  }
  *is_locked = clu != UINT32_MAX && ploop.exclusive_pios.count(clu) != 0;
  return clu;
}

// One cluster of the service pio through ploop_map_and_submit_rw(), waited
// for (ploop_read_cluster_sync and the write of ploop_write_cluster_sync).
int ploop_cluster_rw_sync(Ploop& ploop, PioOp op, std::vector<std::uint8_t>& buf, std::uint32_t dst_clu) {
  Pio& pio = ploop_alloc_pio(ploop);
  ploop_init_pio(ploop, op, pio);
  pio.bi_sector = std::uint64_t{dst_clu} << ploop.cluster_log;  // ploop_pio_prepare_offsets(): the whole cluster
  pio.bi_size = ploop.clu_size();
  pio.buf = &buf;
  pio.buf_off = 0;
  sim::Completion completion("ploop.cmd");
  pio.endio_cb = [&completion](Pio&, BlkStatus) { completion.complete(); };
  ploop_map_and_submit_rw(ploop, dst_clu, pio, ploop.top_level());
  completion.wait();
  return blk_status_to_errno(pio.bi_status);
}

int ploop_write_cluster_sync(Ploop& ploop, std::vector<std::uint8_t>& buf, std::uint32_t dst_clu) {
  int ret = ploop_fsync_image(ploop);
  if (ret != 0) return ret;
  ret = ploop_cluster_rw_sync(ploop, PioOp::write, buf, dst_clu);
  if (ret != 0) return ret;
  return ploop_fsync_image(ploop);
}

void ploop_make_md_wb(Ploop& ploop, MdPage& md) { ploop_set_md_status(ploop, md, md.status | MD_WRITEBACK); }

// The md page write of a prepared piwb, its flush and its completion,
// waited for (piwb->comp).
int ploop_index_wb_sync(Ploop& ploop, MdPage& md) {
  PloopIndexWb& piwb = *md.piwb;
  ploop_make_md_wb(ploop, md);
  sim::Completion comp("ploop.cmd.piwb");
  BlkStatus bi_status = BlkStatus::ok;
  piwb.comp = &comp;
  piwb.comp_bi_status = &bi_status;
  ploop_index_wb_submit(ploop, piwb);
  comp.wait();
  return blk_status_to_errno(bi_status);
}

int ploop_grow_relocate_cluster(Ploop& ploop, ResizeCmd& cmd) {
  const std::uint32_t dst_clu = cmd.dst_clu;
  bool is_locked = false;
  // Relocate the cluster and update the index.
  const std::uint32_t clu = ploop_find_bat_entry(ploop, dst_clu, &is_locked);
  if (clu == UINT32_MAX || is_locked) {
    // dst_clu in the top delta is not occupied? WARN_ON_ONCE(1) otherwise.
    SIM_ASSERT_MSG(ploop.holes_bitmap[dst_clu] && !is_locked,
                   "resize: file cluster {} is neither mapped nor free, or is locked", dst_clu);
    ploop_hole_clear_bit(dst_clu, ploop);  // free: occupy it, skip relocation
  } else {
    int ret = ploop_cluster_rw_sync(ploop, PioOp::read, cmd.buf, dst_clu);
    if (ret < 0) return ret;
    MdPage* md = nullptr;
    std::uint32_t new_dst = 0;
    ret = ploop_prepare_reloc_index_wb(ploop, &md, clu, &new_dst);
    if (ret < 0) return ret;
    // Write the cluster to its new place.
    ret = ploop_write_cluster_sync(ploop, cmd.buf, new_dst);
    if (ret != 0) {
      ploop_break_bat_update(ploop, *md);
      return ret;
    }
    // Write the new index to disk.
    ret = ploop_index_wb_sync(ploop, *md);
    if (ret != 0) return ret;
    // Update the local BAT copy: WARN_ON(!try_update_bat_entry(ploop, clu,
    // top_level, new_dst)), which writes only an entry at that level.
    MdPage& page = ploop_md_page_find(ploop, ploop_bat_clu_to_page_nr(clu));
    SIM_ASSERT(page.bat_levels[ploop_bat_clu_idx_in_page(clu)] == ploop.top_level());
    page.page[ploop_bat_clu_idx_in_page(clu)] = new_dst;
  }
  // dst_clu is not referenced in the BAT now: the caller's rollback counts
  // on this increment being here.
  ++cmd.dst_clu;
  // Zero the new BAT entries on disk.
  std::fill(cmd.buf.begin(), cmd.buf.end(), 0);
  return ploop_write_cluster_sync(ploop, cmd.buf, dst_clu);
}

int ploop_grow_update_header(Ploop& ploop, ResizeCmd& cmd) {
  // The header is in the same page as bat_entries[0].
  MdPage* md = nullptr;
  int ret = ploop_prepare_reloc_index_wb(ploop, &md, 0, nullptr);
  if (ret != 0) return ret;
  const std::uint64_t size = (std::uint64_t{kPloopMapOffset} + cmd.nr_bat_entries) * 4;
  const auto clus = static_cast<std::uint32_t>((size + ploop.clu_size() - 1) / ploop.clu_size());
  std::vector<std::uint32_t>& hdr = md->piwb->bat_page;
  hdr[kHdrSize] = cmd.nr_bat_entries;
  hdr[kHdrSizeInSectors] = static_cast<std::uint32_t>(cmd.new_sectors);
  hdr[kHdrSizeInSectors + 1] = static_cast<std::uint32_t>(cmd.new_sectors >> 32);
  hdr[kHdrFirstBlockOffset] = clus << ploop.cluster_log;  // CLU_TO_SEC
  const std::vector<std::uint32_t> written(hdr.begin(), hdr.begin() + kPloopMapOffset);
  ret = ploop_index_wb_sync(ploop, *md);
  if (ret == 0) std::copy(written.begin(), written.end(), cmd.md0->page.begin());  // our cached page
  return ret;
}

int process_resize_cmd(Ploop& ploop, ResizeCmd& cmd) {
  // Update the holes bitmap and hb_nr, not nr_bat_entries.
  ploop_advance_holes_bitmap(ploop, cmd);
  int ret = 0;
  while (cmd.dst_clu <= cmd.end_dst_clu && ret == 0) ret = ploop_grow_relocate_cluster(ploop, cmd);
  if (ret == 0) ret = ploop_grow_update_header(ploop, cmd);
  if (ret != 0) {
    // Cleanup: mark the new BAT's clusters free again; back to the old hb_nr.
    for (std::int64_t dst_clu = std::int64_t{cmd.dst_clu} - 1; dst_clu >= cmd.nr_old_bat_clu; --dst_clu)
      ploop_hole_set_bit(static_cast<std::uint32_t>(dst_clu), ploop);
    ploop.holes_bitmap.resize(cmd.old_hb_nr);
  } else {
    for (auto& [id, md] : cmd.md_pages) ploop.bat_entries[id] = std::move(md);  // ploop_add_md_pages
    ploop.nr_bat_entries = cmd.nr_bat_entries;
  }
  return ret;
}

// ploop_suspend_submitting_pios() with ploop_inflight_bios_ref_switch(): new
// pios wait on suspended_pios; those in flight are waited for.
void ploop_suspend_submitting_pios(Ploop& ploop) {
  SIM_ASSERT(!ploop.stop_submitting_pios);  // WARN_ON_ONCE(ploop->stop_submitting_pios)
  ploop.stop_submitting_pios = true;
  ploop.idle_wq->wait_event([&ploop] { return ploop.inflight == 0; });
}

void ploop_resume_submitting_pios(Ploop& ploop) {
  SIM_ASSERT(ploop.stop_submitting_pios);  // WARN_ON_ONCE(!ploop->stop_submitting_pios)
  ploop.stop_submitting_pios = false;
  std::deque<Pio*> list;
  list.swap(ploop.suspended_pios);
  ploop_submit_embedded_pios(ploop, list);
}

}  // namespace

// Prepares an index writeback without data pios; with `dst_clu`, allocates
// a new file cluster for `clu` (the old entry and its holes bitmap bit are
// the caller's). dm-ploop-map.c, used only by the commands here.
int ploop_prepare_reloc_index_wb(Ploop& ploop, MdPage** ret_md, std::uint32_t clu, std::uint32_t* dst_clu) {
  const PiwbType type = dst_clu != nullptr ? PiwbType::reloc : PiwbType::alloc;
  MdPage& md = ploop_md_page_find(ploop, ploop_bat_clu_to_page_nr(clu));
  if (md.status & (MD_DIRTY | MD_WRITEBACK)) return kEIO;  // pr_err("ploop: Unexpected md status")
  int err = ploop_prepare_bat_update(ploop, md, type);
  if (err != 0) return err;
  PloopIndexWb& piwb = *md.piwb;
  if (dst_clu != nullptr) {
    // For ploop_advance_local_after_bat_wb(): zero bat_page[clu] so that
    // ploop_alloc_cluster() takes a new dst_clu from the holes bitmap
    // (ploop_bat_page_zero_cluster).
    piwb.bat_page[ploop_bat_clu_idx_in_page(clu)] = 0;
    err = ploop_alloc_cluster(ploop, piwb, clu, dst_clu);
    if (err != 0) {
      ploop_break_bat_update(ploop, md);
      return err;
    }
  }
  *ret_md = &md;
  return 0;
}

int ploop_resize(Ploop& ploop, std::uint64_t new_sectors) {
  MdPage& md0 = ploop_md_page_find(ploop, 0);
  const std::uint64_t old_sectors = hdr_sectors(md0.page);
  if (old_sectors == new_sectors) return 0;
  const std::uint64_t clu_sectors = std::uint64_t{1} << ploop.cluster_log;
  if (old_sectors > new_sectors) return kEINVAL;              // "online shrink is not supported"
  if ((new_sectors >> ploop.cluster_log) >= UINT32_MAX - 2) return kEINVAL;  // "too large size is requested"
  if ((new_sectors & (clu_sectors - 1)) != 0) return kEINVAL;  // "new_sectors is not aligned"

  ResizeCmd cmd;
  cmd.nr_bat_entries = static_cast<std::uint32_t>(new_sectors >> ploop.cluster_log);
  // Memory for the new md pages (prealloc_md_pages).
  const std::uint32_t nr_pages = ploop_bat_clu_to_page_nr(ploop.nr_bat_entries - 1) + 1;
  const std::uint32_t new_nr_pages = ploop_bat_clu_to_page_nr(cmd.nr_bat_entries - 1) + 1;
  for (std::uint32_t i = nr_pages; i < new_nr_pages; ++i) {
    auto md = std::make_unique<MdPage>();
    md->id = i;
    md->page.assign(kBatEntriesPerPage, kBatEntryNone);
    md->bat_levels.assign(kBatEntriesPerPage, 0);
    cmd.md_pages[i] = std::move(md);
  }
  const std::uint64_t size = (std::uint64_t{kPloopMapOffset} + cmd.nr_bat_entries) * 4;
  const auto nr_bat_clusters = static_cast<std::uint32_t>((size + ploop.clu_size() - 1) / ploop.clu_size());
  cmd.hb_nr = nr_bat_clusters + cmd.nr_bat_entries;
  cmd.holes_bitmap.assign(cmd.hb_nr, true);  // all new bitmap memory: holes
  cmd.buf.assign(ploop.clu_size(), 0);
  cmd.dst_clu = ploop.nr_bat_clusters();  // currently occupied BAT clusters
  cmd.end_dst_clu = nr_bat_clusters - 1;
  cmd.nr_old_bat_clu = cmd.dst_clu;
  cmd.new_sectors = new_sectors;
  cmd.md0 = &md0;
  cmd.old_hb_nr = static_cast<std::uint32_t>(ploop.holes_bitmap.size());
  trace_ev(Ev::ploop_resize, 0, cmd.nr_bat_entries);
  ploop_suspend_submitting_pios(ploop);
  const int ret = process_resize_cmd(ploop, cmd);
  ploop_resume_submitting_pios(ploop);
  trace_ev(Ev::ploop_resize, 1, static_cast<std::uint64_t>(-ret));
  return ret;
}

}  // namespace wbsim::model
