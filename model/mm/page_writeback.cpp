#include "model/mm/page_writeback.h"

#include <algorithm>

#include "model/events.h"
#include "model/mm/flusher.h"
#include "sim/assert.h"
#include "sim/coverage.h"
#include "sim/scheduler.h"

namespace wbsim::model {

using sim::mark;

WBSIM_MARK(kMarkWbcBudgetExhausted, "mm.wbc_budget_exhausted", "WB_SYNC_NONE writeback stopped at nr_to_write");
WBSIM_MARK(kMarkWbcCyclicResume, "mm.wbc_cyclic_resume", "range_cyclic writeback resumed from writeback_index");
WBSIM_MARK(kMarkSyncWaitedWriteback, "mm.sync_waited_writeback", "WB_SYNC_ALL writeback waited for a folio under writeback");
WBSIM_MARK(kMarkDirtyThrottled, "mm.dirty_throttled", "a writer was throttled past the dirty threshold");

namespace {

constexpr std::size_t kBatch = 31;  // PAGEVEC_SIZE

pgoff_t wbc_end(const WritebackControl& wbc) {
  if (wbc.range_cyclic) return ~pgoff_t{0};
  return static_cast<pgoff_t>(wbc.range_end) >> kPageShift;
}

void release_batch(WritebackControl& wbc) {
  for (std::size_t i = wbc.fbatch_next; i < wbc.fbatch.size(); ++i) folio_put(*wbc.fbatch[i]);
  wbc.fbatch.clear();
  wbc.fbatch_next = 0;
}

Folio* batch_next(WritebackControl& wbc) {
  if (wbc.fbatch_next >= wbc.fbatch.size()) return nullptr;
  return wbc.fbatch[wbc.fbatch_next++];
}

// folio_prepare_writeback(): false if the folio is to be skipped.
bool folio_prepare_writeback(AddressSpace& mapping, WritebackControl& wbc, Folio& folio) {
  if (folio.mapping != &mapping) return false;  // truncated
  if (!folio_test_dirty(folio)) return false;   // someone else wrote it
  if (folio_test_writeback(folio)) {
    if (wbc.sync_mode == SyncMode::none) return false;
    mark(kMarkSyncWaitedWriteback);
    folio_wait_writeback(folio);  // W5: unbounded under a server that never answers
  }
  SIM_ASSERT(!folio_test_writeback(folio));
  return folio_clear_dirty_for_io(folio);
}

Folio* writeback_get_folio(AddressSpace& mapping, WritebackControl& wbc) {
  for (;;) {
    Folio* folio = batch_next(wbc);
    if (folio == nullptr) {
      release_batch(wbc);
      sim::yield();  // cond_resched()
      wbc.fbatch = filemap_get_folios_tag(mapping, &wbc.index, wbc_end(wbc),
                                          wbc.sync_mode == SyncMode::all || wbc.tagged_writepages ? Tag::towrite
                                                                                                  : Tag::dirty,
                                          kBatch);
      folio = batch_next(wbc);
      if (folio == nullptr) return nullptr;
    }
    // The batch's reference is dropped here; the caller holds the lock.
    folio_lock(*folio);
    const bool ok = folio_prepare_writeback(mapping, wbc, *folio);
    if (ok) {
      folio_put(*folio);
      return folio;
    }
    folio_unlock(*folio);
    folio_put(*folio);
  }
}

}  // namespace

Folio* writeback_iter(AddressSpace& mapping, WritebackControl& wbc, Folio* folio, int* error) {
  if (folio == nullptr) {
    wbc.fbatch.clear();
    wbc.fbatch_next = 0;
    wbc.saved_err = *error = 0;
    wbc.last_returned = nullptr;
    wbc.index = wbc.range_cyclic ? mapping.writeback_index : static_cast<pgoff_t>(wbc.range_start) >> kPageShift;
    if (wbc.range_cyclic && wbc.index != 0) mark(kMarkWbcCyclicResume);
    if (wbc.sync_mode == SyncMode::all || wbc.tagged_writepages) tag_pages_for_writeback(mapping, wbc.index, wbc_end(wbc));
    MODEL_EVENT(writeback_iter_start(mapping, wbc));
  } else {
    // W2 (the folio-state checker): the folio handed back is the one handed
    // out, now unlocked and either under writeback or redirtied.
    MODEL_EVENT(writeback_iter_given_back(mapping, wbc, *folio));
    wbc.nr_to_write -= static_cast<long>(folio->nr_pages());
    SIM_ASSERT_CMP(*error, <=, 0);
    bool done = false;
    if (*error != 0) {
      if (wbc.sync_mode == SyncMode::all) {
        if (wbc.saved_err == 0) wbc.saved_err = *error;
      } else {
        done = true;
      }
    }
    if (!done && wbc.nr_to_write <= 0 && wbc.sync_mode == SyncMode::none) {
      mark(kMarkWbcBudgetExhausted);
      done = true;
    }
    if (done) {
      if (wbc.range_cyclic) mapping.writeback_index = folio->index + folio->nr_pages();
      release_batch(wbc);
      wbc.last_returned = nullptr;
      MODEL_EVENT(writeback_iter_returned(mapping, wbc, nullptr));
      return nullptr;
    }
  }
  Folio* next = writeback_get_folio(mapping, wbc);
  if (next == nullptr) {
    if (wbc.range_cyclic) mapping.writeback_index = 0;
    *error = wbc.saved_err;
    wbc.last_returned = nullptr;
    MODEL_EVENT(writeback_iter_returned(mapping, wbc, nullptr));
    return nullptr;
  }
  MODEL_EVENT(writeback_iter_returned(mapping, wbc, next));  // W1 and W4: the folio-state checker
  wbc.last_returned = next;
  wbc.last_index = next->index;
  return next;
}

int do_writepages(AddressSpace& mapping, WritebackControl& wbc) {
  SIM_ASSERT(mapping.a_ops != nullptr && mapping.a_ops->writepages != nullptr);
  const int ret = mapping.a_ops->writepages(mapping, wbc);
  MODEL_EVENT(writepages_returned(mapping, wbc, ret));  // W2: writeback_iter() was run to its end
  // The inode leaves the dirty list when nothing dirty is left in it.
  bool any_dirty = false;
  for (const auto& [index, f] : mapping.folios) any_dirty = any_dirty || folio_test_dirty(*f);
  if (!any_dirty) mapping.dirty_inode = false;
  return ret;
}

int filemap_fdatawrite_range(AddressSpace& mapping, loff_t start, loff_t end, SyncMode mode) {
  WritebackControl wbc;
  wbc.sync_mode = mode;
  wbc.nr_to_write = 1L << 30;
  wbc.range_start = start;
  wbc.range_end = end;
  return do_writepages(mapping, wbc);
}

int filemap_fdatawait_range(AddressSpace& mapping, loff_t start, loff_t end) {
  pgoff_t index = static_cast<pgoff_t>(start) >> kPageShift;
  const pgoff_t last = static_cast<pgoff_t>(end) >> kPageShift;
  for (;;) {
    auto it = mapping.folios.lower_bound(index);
    // A folio starting before `index` may still cover it.
    if (Folio* f = filemap_get_folio(mapping, index); f != nullptr && f->index < index) it = mapping.folios.find(f->index);
    if (it == mapping.folios.end() || it->first > last) break;
    Folio* f = it->second;
    index = f->index + f->nr_pages();
    if (folio_test_writeback(*f)) {
      folio_get(*f);
      folio_wait_writeback(*f);
      folio_put(*f);
    }
  }
  return filemap_check_errors(mapping);
}

int filemap_write_and_wait_range(AddressSpace& mapping, loff_t start, loff_t end) {
  int err = filemap_fdatawrite_range(mapping, start, end, SyncMode::all);
  const int err2 = filemap_fdatawait_range(mapping, start, end);
  return err != 0 ? err : err2;
}

bool filemap_release_folio(Folio& folio) {
  SIM_ASSERT_MSG(folio_test_locked(folio), "filemap_release_folio on unlocked folio {} (BUG_ON)", folio.index);
  if (folio_test_writeback(folio)) return false;
  const AddressSpace& m = *folio.mapping;
  if (m.a_ops != nullptr && m.a_ops->release_folio != nullptr && !m.a_ops->release_folio(folio)) return false;
  folio_detach_private(folio);
  return true;
}

void balance_dirty_pages_ratelimited(AddressSpace& mapping) {
  Mm& mm = *mapping.mm;
  MODEL_EVENT(dirty_balance(mapping));
  if (mm.flusher != nullptr && mm.nr_dirty > mm.background_thresh) mm.flusher->wakeup_background();
  // Throttle: pause in short sleeps, as balance_dirty_pages does, until the
  // dirty + writeback total falls back below the midpoint of the thresholds.
  const std::uint64_t freerun = (mm.background_thresh + mm.dirty_thresh) / 2;
  // Unbounded, as in the kernel: under a server that never completes
  // writeback the writer stays throttled and the run's budget reports it.
  bool throttled = false;
  while (mm.nr_dirty + mm.nr_writeback > mm.dirty_thresh) {
    mark(kMarkDirtyThrottled);
    if (!throttled) MODEL_EVENT(dirty_throttle(mm, true));
    throttled = true;
    if (mm.flusher != nullptr) mm.flusher->wakeup_background();
    sim::sleep(kDirtyThrottlePause);
    if (mm.nr_dirty + mm.nr_writeback <= freerun) break;
  }
  if (throttled) MODEL_EVENT(dirty_throttle(mm, false));
}

}  // namespace wbsim::model
