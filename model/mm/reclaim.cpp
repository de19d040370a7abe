#include "model/mm/reclaim.h"

#include <algorithm>
#include <vector>

#include "model/mm/flusher.h"
#include "model/mm/kswapd.h"
#include "model/mm/page_writeback.h"
#include "model/mm/variants.h"
#include "sim/coverage.h"
#include "sim/scheduler.h"
#include "sim/wait_holder.h"

namespace wbsim::model {

using sim::mark;

WBSIM_MARK_IN(kMarkDirectReclaim, "mm.direct_reclaim", "fuse/*", "an allocation below the low watermark reclaimed first");
WBSIM_MARK_IN(kMarkReclaimMarked, "mm.reclaim_marked_writeback", "fuse/*", "reclaim marked a folio under writeback PG_reclaim");
WBSIM_MARK_IN(kMarkReclaimWaited, "mm.reclaim_waited_writeback", "fuse/*", "legacy memcg reclaim waited for writeback (case 3)");
WBSIM_MARK_IN(kMarkReclaimSkippedFlagged, "mm.reclaim_skipped_deadlockable", "fuse/*",
           "reclaim did not wait on writeback of a mapping that may deadlock on reclaim");
WBSIM_MARK_IN(kMarkReclaimWokeFlusher, "mm.reclaim_woke_flusher", "mm/*", "reclaim met dirty folios and woke the flusher");
WBSIM_MARK_IN(kMarkAllocFailed, "mm.alloc_failed", "mm/*", "an allocation that may not block (or retry) failed");
WBSIM_MARK_IN(kMarkTooSmallToFail, "mm.alloc_too_small_to_fail", "mm/*",
              "an allocation that may retry stayed below the min watermark after direct reclaim and was granted");
WBSIM_MARK_IN(kMarkReclaimEvicted, "mm.reclaim_evicted", "fuse/*", "reclaim evicted a clean folio");

bool evict_clean_folio(AddressSpace& mapping, Folio& f) {
  folio_get(f);
  bool evicted = false;
  // Reclaim only trylocks; a folio that changed meanwhile stays.
  if (folio_trylock(f)) {
    // filemap_release_folio, then __remove_mapping's folio_ref_freeze: only
    // the page cache's reference and ours may be left; anyone else holding
    // the folio keeps it in the cache.
    evicted = f.mapping == &mapping && !folio_test_dirty(f) && !folio_test_writeback(f) &&
              filemap_release_folio(f) && f.refcount == 2;
    if (evicted) filemap_remove_folio(f);  // under the folio lock, as __remove_mapping
    folio_unlock(f);
  }
  folio_put(f);
  return evicted;
}

std::uint64_t shrink_folio_list(Mm& mm, gfp_t gfp, std::uint64_t nr_to_reclaim, bool is_kswapd) {
  std::uint64_t reclaimed = 0;
  const bool may_enter_fs = (gfp & __GFP_FS) != 0;
  bool woke_flusher = false;
  for (AddressSpace* mapping : mm.reclaimable) {
    std::vector<Folio*> list;
    for (const auto& [index, f] : mapping->folios) list.push_back(f);
    for (Folio* f : list) {
      if (reclaimed >= nr_to_reclaim) return reclaimed;
      if (f->mapping != mapping) continue;
      if (folio_test_writeback(*f)) {
        const bool deadlockable = mapping->writeback_may_deadlock_on_reclaim && !variant::reclaim_waits_on_deadlockable_writeback();
        if (!is_kswapd && mm.legacy_memcg && f->test(PG_reclaim) && may_enter_fs && !deadlockable) {
          // Case 3: legacy memcg, no sane writeback throttling, the folio
          // was met before: wait for its writeback.
          mark(kMarkReclaimWaited);
          folio_get(*f);
          sim::Scheduler& sched = sim::Scheduler::current();
          sched.push_note("shrink_folio_list case 3: wait for writeback");
          {
            const sim::WaitHolderScope holder(&f->wb_owner);
            folio_wait_writeback(*f);
          }
          sched.pop_note();
          folio_put(*f);
          continue;
        }
        if (deadlockable && mm.legacy_memcg && f->test(PG_reclaim)) mark(kMarkReclaimSkippedFlagged);
        // Case 2: mark for immediate reclaim and move on.
        mark(kMarkReclaimMarked);
        sim::set_bit(PG_reclaim, f->flags);
        continue;
      }
      if (folio_test_dirty(*f)) {
        // Reclaim does not write filesystem folios: it wakes the flusher
        // (wakeup_flusher_threads(WB_REASON_VMSCAN)) and moves on.
        if (mm.flusher != nullptr && !woke_flusher) {
          mark(kMarkReclaimWokeFlusher);
          mm.flusher->wakeup_background();
          woke_flusher = true;
        }
        continue;
      }
      if (folio_test_locked(*f)) continue;
      const std::uint64_t nr = f->nr_pages();
      if (evict_clean_folio(*mapping, *f)) {
        reclaimed += nr;
        mark(kMarkReclaimEvicted);
      }
    }
  }
  return reclaimed;
}

std::int64_t high_wmark(const Mm& mm) {
  const std::int64_t high =
      mm.high_pages != 0 ? mm.high_pages : mm.low_pages + std::max<std::int64_t>(1, mm.low_pages / 4);
  // __setup_per_zone_wmarks: min <= low < high, so a kswapd that balanced its
  // node to the high watermark left it above the low one.
  SIM_ASSERT_MSG(high > mm.low_pages && mm.low_pages >= mm.min_pages, "watermarks out of order: min {} low {} high {}",
                 mm.min_pages, mm.low_pages, high);
  return high;
}

bool alloc_pages(Mm& mm, unsigned nr, gfp_t gfp) {
  const auto n = static_cast<std::int64_t>(nr);
  if (mm.free_pages - n < mm.low_pages) {
    if (mm.kswapd != nullptr) mm.kswapd->wakeup();  // wake_all_kswapds
    if ((gfp & __GFP_DIRECT_RECLAIM) == 0) {
      // No reclaim: the min watermark is the floor. __zone_watermark_ok
      // lowers it for GFP_ATOMIC: ALLOC_MIN_RESERVE (__GFP_HIGH) takes half
      // of it, and ALLOC_NON_BLOCK (no __GFP_DIRECT_RECLAIM) a quarter of
      // what is left, each rounding the part taken down.
      std::int64_t floor = mm.min_pages;
      if ((gfp & __GFP_HIGH) != 0) {
        floor -= floor / 2;
        floor -= floor / 4;
      }
      if (mm.free_pages - n < floor) {
        mark(kMarkAllocFailed);
        return false;
      }
      mm.free_pages -= n;
      mm.pages_in_use += n;
      return true;
    }
    mark(kMarkDirectReclaim);
    sim::Scheduler::current().push_note((gfp & __GFP_FS) != 0 ? "alloc_pages(GFP_KERNEL) direct reclaim"
                                                              : "alloc_pages(GFP_NOFS/NOIO) direct reclaim");
    // __alloc_pages_slowpath: rounds of direct reclaim.
    const int rounds = (gfp & __GFP_NORETRY) != 0 ? 1 : 3;
    for (int round = 0; round < rounds && mm.free_pages - n < mm.low_pages; ++round) {
      const std::uint64_t want = static_cast<std::uint64_t>(mm.low_pages - (mm.free_pages - n));
      const std::uint64_t got = shrink_folio_list(mm, gfp, want);
      if (got != 0 && mm.kswapd != nullptr) mm.kswapd->reclaim_progress();
      if (got == 0) sim::sleep(sim::kMs);  // reclaim_throttle
    }
    sim::Scheduler::current().pop_note();
    if ((gfp & __GFP_NORETRY) != 0 && mm.free_pages - n < mm.min_pages) {
      mark(kMarkAllocFailed);
      return false;
    }
    // An order-0 allocation that may retry is "too small to fail": the
    // slow path loops (the OOM killer frees memory) until it gets its page.
    if (mm.free_pages - n < mm.min_pages) mark(kMarkTooSmallToFail);
  }
  mm.free_pages -= n;
  mm.pages_in_use += n;
  return true;
}

void free_pages(Mm& mm, unsigned nr) {
  mm.free_pages += nr;
  mm.pages_in_use -= nr;
}

void alloc_pages_for_reclaim(Mm& mm, unsigned nr, gfp_t gfp) {
  SIM_ASSERT((gfp & __GFP_DIRECT_RECLAIM) != 0 && (gfp & __GFP_NORETRY) == 0);
  const bool got = alloc_pages(mm, nr, gfp);
  SIM_ASSERT_MSG(got, "alloc_pages({}, gfp {:#x}) failed: too small to fail", nr, gfp);
  free_pages(mm, nr);
}

}  // namespace wbsim::model
