// Pin: drivers/md/dm-ploop-map.c at 9d144ac5da74 (OpenVZ/vzkernel; docs/ploop.md).
// Index (BAT) writeback and cluster allocation: the piwb's copy of an md
// page, the holes bitmap, the md page write and the flush after it, and
// what completes when it is durable.
#include <algorithm>
#include <cstring>

#include "model/errno.h"
#include "model/events.h"
#include "model/ploop/internal.h"
#include "model/ploop/variants.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/known_finding.h"

namespace wbsim::model {

WBSIM_KNOWN_FINDING(kFindingFailedBatFreesIndex, "ploop-failed-bat-frees-device-index",
                    "ploop-crash-consistency,ploop-bat-holes", "ploop/failed_bat_frees_device_index",
                    "a failed BAT update sets the holes bitmap bit of the device cluster's number, not of the "
                    "file cluster it allocated");

namespace {

// PREALLOC_SIZE, scaled with the model's 4 KiB clusters (the kernel's
// 128 MiB is 128 clusters of its usual 1 MiB).
constexpr loff_t kPreallocSize = 16 * 4096;

}  // namespace

void ploop_set_md_status(Ploop& ploop, MdPage& md, unsigned status) {
  const unsigned old = md.status;
  md.status = status;
  trace_ev(Ev::ploop_md, md.id, status);
  MODEL_EVENT(ploop_md_status(ploop, md, old));
}

MdPage& ploop_md_page_find(Ploop& ploop, std::uint32_t id) {
  const auto it = ploop.bat_entries.find(id);
  SIM_ASSERT(it != ploop.bat_entries.end());  // BUG_ON(!md)
  return *it->second;
}

std::uint32_t ploop_bat_entries(Ploop& ploop, std::uint32_t clu, std::uint8_t* level, MdPage** md_ret) {
  MdPage& md = ploop_md_page_find(ploop, ploop_bat_clu_to_page_nr(clu));
  const std::uint32_t idx = ploop_bat_clu_idx_in_page(clu);
  if (level != nullptr) *level = md.bat_levels[idx];
  if (md_ret != nullptr) *md_ret = &md;
  return md.page[idx];
}

bool ploop_cluster_is_in_top_delta(Ploop& ploop, std::uint32_t clu) {
  SIM_ASSERT_CMP(clu, <, ploop.nr_bat_entries);  // WARN_ON(clu >= ploop->nr_bat_entries)
  std::uint8_t level = 0;
  const std::uint32_t dst_clu = ploop_bat_entries(ploop, clu, &level, nullptr);
  return dst_clu != kBatEntryNone && level == ploop.top_level();
}

void ploop_hole_set_bit(std::uint32_t nr, Ploop& ploop) {
  SIM_ASSERT_CMP(nr, <, ploop.holes_bitmap.size());  // WARN_ON_ONCE(nr >= ploop->hb_nr)
  ploop.holes_bitmap[nr] = true;
}

void ploop_hole_clear_bit(std::uint32_t nr, Ploop& ploop) {
  SIM_ASSERT_CMP(nr, <, ploop.holes_bitmap.size());
  ploop.holes_bitmap[nr] = false;
}

bool ploop_md_make_dirty(Ploop& ploop, MdPage& md) {
  // WARN_ON_ONCE((md->status & MD_WRITEBACK)), whether or not the page is
  // dirty already; asserted after the status change so that P3 names it.
  if (md.status & MD_DIRTY) {
    SIM_ASSERT(!(md.status & MD_WRITEBACK));
    return false;
  }
  ploop_set_md_status(ploop, md, md.status | MD_DIRTY);
  SIM_ASSERT(!(md.status & MD_WRITEBACK));
  ploop.wb_batch_list.push_back(&md);
  md.wb_linked = true;
  return true;
}

namespace {

void ploop_release_cluster(Ploop& ploop, std::uint32_t clu) {
  MdPage& md = ploop_md_page_find(ploop, ploop_bat_clu_to_page_nr(clu));
  const std::uint32_t idx = ploop_bat_clu_idx_in_page(clu);
  const std::uint32_t dst_clu = md.page[idx];
  md.page[idx] = kBatEntryNone;
  md.bat_levels[idx] = 0;
  ploop_hole_set_bit(dst_clu, ploop);
}

void ploop_piwb_discard_completed(Ploop& ploop, bool success, std::uint32_t clu, std::uint32_t new_dst_clu) {
  if (new_dst_clu != 0) return;
  if (!ploop_cluster_is_in_top_delta(ploop, clu)) return;
  SIM_ASSERT(ploop.nr_deltas() == 1);  // WARN_ON_ONCE(ploop->nr_deltas != 1)
  if (success) ploop_release_cluster(ploop, clu);
}

// The piwb's page range: first and last index of the device clusters it
// holds, and the device cluster of index 0.
struct PageRange {
  std::uint32_t first, last;
  std::int64_t off;
};
PageRange page_range(const Ploop& ploop, std::uint32_t page_id) {
  const std::int64_t off = std::int64_t{page_id} * kBatEntriesPerPage - kPloopMapOffset;
  std::int64_t last = std::int64_t{ploop.nr_bat_entries} - off;
  if (last > kBatEntriesPerPage) last = kBatEntriesPerPage;
  return {page_id == 0 ? kPloopMapOffset : 0u, static_cast<std::uint32_t>(last), off};
}

// Update the local BAT copy with the written indexes on success; on
// failure the allocated clusters become holes again. (The driver's FIXME:
// a failure may mean some sectors were written.)
void ploop_advance_local_after_bat_wb(Ploop& ploop, PloopIndexWb& piwb, bool success) {
  MdPage& md = *piwb.md;
  const PageRange r = page_range(ploop, piwb.page_id);
  for (std::uint32_t i = r.first; i < r.last; ++i) {
    const auto clu = static_cast<std::uint32_t>(i + r.off);
    if (piwb.type == PiwbType::discard) {
      ploop_piwb_discard_completed(ploop, success, clu, piwb.bat_page[i]);
      continue;
    }
    if (piwb.bat_page[i] == 0) continue;
    if (ploop_cluster_is_in_top_delta(ploop, clu) && piwb.type == PiwbType::alloc) {
      SIM_ASSERT_CMP(md.page[i], ==, piwb.bat_page[i]);  // WARN_ON(bat_entries[i] != dst_clu[i])
      continue;
    }
    if (success) {
      md.page[i] = piwb.bat_page[i];
      md.bat_levels[i] = ploop.top_level();
    } else if (variant::failed_bat_frees_allocated()) {
      // The evident fix frees what this update allocated: for an allocation
      // that is every entry it wrote; a relocation's copy of the page holds
      // every mapped entry, of which only the moved one is new.
      if (piwb.type == PiwbType::alloc || piwb.bat_page[i] != md.page[i]) ploop_hole_set_bit(piwb.bat_page[i], ploop);
    } else {
      // The driver sets bit `i + off`: the device cluster's number, while
      // the holes bitmap is indexed by file cluster (ploop_find_dst_clu_bit,
      // ploop_release_cluster). The cluster it allocated stays in use and
      // leaks; file cluster `clu` is freed, whatever holds it. When the two
      // numbers coincide, the allocated cluster is freed while the md page
      // write that maps it may be in the file (docs/ploop.md, the pinned
      // finding).
      sim::known_finding_reached(kFindingFailedBatFreesIndex);
      ploop_hole_set_bit(clu, ploop);
    }
  }
  SIM_ASSERT(md.status & MD_WRITEBACK);  // WARN_ON_ONCE(!(md->status & MD_WRITEBACK))
  ploop_set_md_status(ploop, md, md.status & ~MD_WRITEBACK);
  md.piwb = nullptr;
  std::deque<Pio*> list;
  list.swap(md.wait_list);
  if (success) {
    trace_ev(Ev::ploop_piwb, piwb.id, 3);
    MODEL_EVENT(ploop_piwb_stage(ploop, piwb, 3, BlkStatus::ok));
  }
  if (!list.empty()) ploop_dispatch_pios(ploop, nullptr, &list);
}

void ploop_put_piwb(PloopIndexWb& piwb) {
  if (--piwb.count != 0) return;
  Ploop& ploop = *piwb.ploop;
  // Index wb failed: mark clusters as unallocated again. piwb->count is
  // zero, so all data writers completed.
  if (piwb.bi_status != BlkStatus::ok) {
    ploop_advance_local_after_bat_wb(ploop, piwb, false);
  }
  if (piwb.comp != nullptr) {
    if (piwb.comp_bi_status != nullptr) *piwb.comp_bi_status = piwb.bi_status;
    piwb.comp->complete();
  }
  // ploop_free_piwb: the object is kept for the checkers.
}

// Called after the BAT page is written and flushed.
void ploop_bat_write_complete(PloopIndexWb& piwb, BlkStatus bi_status) {
  Ploop& ploop = *piwb.ploop;
  trace_ev(Ev::ploop_piwb, piwb.id, 2);
  MODEL_EVENT(ploop_piwb_stage(ploop, piwb, 2, bi_status));
  // Success: publish the new mapping before any data bio completes, since
  // right after a bio completes a read wants to see the written data.
  if (bi_status == BlkStatus::ok) ploop_advance_local_after_bat_wb(ploop, piwb, true);
  piwb.completed = true;
  piwb.bi_status = bi_status;
  // End pending data bios: nobody can add one once `completed` is set.
  while (!piwb.ready_data_pios.empty()) {
    Pio* data_pio = piwb.ready_data_pios.front();
    piwb.ready_data_pios.pop_front();
    if (bi_status != BlkStatus::ok) data_pio->bi_status = bi_status;
    ploop_pio_endio(*data_pio);
  }
  while (!piwb.cow_list.empty()) {
    Pio* aux_pio = piwb.cow_list.front();
    piwb.cow_list.pop_front();
    ploop_complete_cow(*aux_pio->cow, bi_status);
  }
  // If the BAT update failed, dst clusters go back to holes_bitmap on the
  // last put.
  ploop_put_piwb(piwb);
}

// ploop_md_fsync_endio() / ploop_md_write_endio(): the md page write's
// completion queues a flush on the fsync worker; the flush's completion is
// the BAT write's.
void ploop_md_write_endio(Pio& pio, PloopIndexWb& piwb, BlkStatus bi_status) {
  Ploop& ploop = *piwb.ploop;
  trace_ev(Ev::ploop_piwb, piwb.id, 1);
  MODEL_EVENT(ploop_piwb_stage(ploop, piwb, 1, bi_status));
  if (bi_status != BlkStatus::ok) {
    ploop_bat_write_complete(piwb, bi_status);
    return;
  }
  ploop_init_pio(ploop, PioOp::flush, pio);
  PloopIndexWb* p = &piwb;
  pio.endio_cb = [p](Pio&, BlkStatus s) { ploop_bat_write_complete(*p, s); };
  pio.queue_list_id = PLOOP_LIST_FLUSH;
  ploop_dispatch_pios(ploop, &pio, nullptr);
}

}  // namespace

namespace {

int ploop_find_dst_clu_bit(Ploop& ploop, std::uint32_t* ret_dst_clu) {
  const auto it = std::find(ploop.holes_bitmap.begin(), ploop.holes_bitmap.end(), true);
  if (it == ploop.holes_bitmap.end()) return kEIO;
  *ret_dst_clu = static_cast<std::uint32_t>(it - ploop.holes_bitmap.begin());
  return 0;
}

int ploop_truncate_prealloc_safe(Ploop& ploop, loff_t len) {
  const loff_t old_len = ploop.file_size;
  loff_t new_len = len;
  if (new_len <= old_len) return 0;
  new_len = (new_len + kPreallocSize - 1) / kPreallocSize * kPreallocSize;  // ALIGN(new_len, PREALLOC_SIZE)
  int ret = !ploop.falloc_new_clu ? ploop.file->truncate(new_len)
                                  : ploop.file->fallocate(ImageFile::Falloc::allocate, old_len, new_len - old_len);
  if (ret != 0) return ret;
  ret = ploop_fsync_image(ploop);
  if (ret != 0) return ret;
  ploop.file_size = new_len;
  ploop.file_preallocated_area_start = len;
  return 0;
}

}  // namespace

int ploop_allocate_cluster(Ploop& ploop, std::uint32_t* dst_clu) {
  const loff_t clu_size = ploop.clu_size();
  if (ploop_find_dst_clu_bit(ploop, dst_clu) < 0) return kEIO;
  const loff_t pos = loff_t{*dst_clu} * clu_size;
  const loff_t end = pos + clu_size;
  const loff_t old_size = ploop.file_size;
  int ret;
  if (pos < ploop.file_preallocated_area_start) {
    // The cluster at pos may contain dirty data.
    const loff_t off = std::min(old_size, end);
    ret = ploop.file->fallocate(!ploop.falloc_new_clu ? ImageFile::Falloc::punch_hole : ImageFile::Falloc::zero_range,
                                pos, off - pos);
    if (ret != 0) return ret;
  }
  if (end > old_size) {
    ret = ploop_truncate_prealloc_safe(ploop, end);
    if (ret != 0) return ret;
  } else if (pos < ploop.file_preallocated_area_start) {
    // Flush the punch_hole()/zero_range() modifications.
    ret = ploop_fsync_image(ploop);
    if (ret != 0) return ret;
  }
  if (end > ploop.file_preallocated_area_start) ploop.file_preallocated_area_start = end;
  // Mark the cluster used: only the worker finds and clears bits.
  ploop_hole_clear_bit(*dst_clu, ploop);
  return 0;
}

int ploop_prepare_bat_update(Ploop& ploop, MdPage& md, PiwbType type) {
  ploop.piwbs.push_back(std::make_unique<PloopIndexWb>());
  PloopIndexWb& piwb = *ploop.piwbs.back();
  piwb.id = ploop.next_piwb_id++;
  ploop_index_wb_init(piwb, ploop);
  piwb.pio = &ploop_alloc_pio(ploop);
  ploop_init_pio(ploop, PioOp::write, *piwb.pio);
  md.piwb = &piwb;
  piwb.md = &md;
  piwb.page_id = md.id;
  piwb.bat_page = md.page;
  const PageRange r = page_range(ploop, md.id);
  // Copy the BAT (it goes right after the header): what is not in the top
  // delta is written as 0.
  for (std::uint32_t i = r.first; i < r.last; ++i) {
    if (!ploop_cluster_is_in_top_delta(ploop, static_cast<std::uint32_t>(i + r.off))) piwb.bat_page[i] = 0;
  }
  if (r.last < kBatEntriesPerPage) {
    for (std::uint32_t i = r.last; i < kBatEntriesPerPage; ++i) piwb.bat_page[i] = 0;  // the tail of the last page
  }
  piwb.type = type;
  trace_ev(Ev::ploop_piwb, piwb.id, 0);
  return 0;
}

void ploop_break_bat_update(Ploop& ploop, MdPage& md) {
  (void)ploop;
  md.piwb = nullptr;  // ploop_free_piwb: kept for the checkers
}

int ploop_alloc_cluster(Ploop& ploop, PloopIndexWb& piwb, std::uint32_t clu, std::uint32_t* dst_clu) {
  const auto idx = static_cast<std::uint32_t>(clu - (std::int64_t{piwb.page_id} * kBatEntriesPerPage - kPloopMapOffset));
  if (piwb.bat_page[idx] != 0) {
    *dst_clu = piwb.bat_page[idx];  // already mapped by one of the previous bios
    return 0;
  }
  const int ret = ploop_allocate_cluster(ploop, dst_clu);
  if (ret < 0) return ret;
  piwb.bat_page[idx] = *dst_clu;
  trace_ev(Ev::ploop_alloc, clu, *dst_clu);
  return 0;
}

bool ploop_data_pio_end(Pio& pio) {
  PloopIndexWb& piwb = *pio.piwb;
  const bool completed = piwb.completed;
  if (!completed) {
    piwb.ready_data_pios.push_back(&pio);
  } else if (pio.bi_status == BlkStatus::ok) {
    pio.bi_status = piwb.bi_status;
  }
  ploop_put_piwb(piwb);
  return completed;
}

void ploop_attach_end_action(Pio& pio, PloopIndexWb& piwb) {
  pio.is_data_alloc = true;
  pio.piwb = &piwb;
  ++piwb.count;
}

void ploop_index_wb_submit(Ploop& ploop, PloopIndexWb& piwb) {
  Pio& pio = *piwb.pio;
  const loff_t pos = loff_t{piwb.page_id} * kPageSize;
  piwb.bat_bytes.resize(kPageSize);
  std::memcpy(piwb.bat_bytes.data(), piwb.bat_page.data(), kPageSize);  // page 0 starts with the header
  pio.bi_sector = static_cast<std::uint64_t>(pos) / kSectorSize;
  pio.bi_size = kPageSize;
  pio.buf = &piwb.bat_bytes;
  pio.buf_off = 0;
  pio.level = ploop.top_level();
  PloopIndexWb* p = &piwb;
  pio.endio_cb = [p](Pio& md_pio, BlkStatus s) { ploop_md_write_endio(md_pio, *p, s); };
  ploop_submit_rw_mapped(ploop, pio);
}

}  // namespace wbsim::model
