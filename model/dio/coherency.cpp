// The four coherency designs' hooks on the page-adding paths (faults,
// page_mkwrite, readahead, buffered I/O) and their DIO-side halves.
#include "model/dio/coherency.h"

#include "model/dio/local_internal.h"
#include "model/dio/variants.h"
#include "model/errno.h"
#include "model/mm/page_writeback.h"
#include "model/events.h"
#include "sim/assert.h"
#include "sim/coverage.h"

namespace wbsim::model {

WBSIM_MARK_IN(kMarkFaultsDisabled, "dio.faults_disabled_mapping", "dio/*",
              "a fault on the mapping the task is doing DIO to was refused with -EDEADLK");
WBSIM_MARK_IN(kMarkWaitedLockEntry, "dio.waited_lock_entry", "dio/*",
              "a fault or buffered I/O waited for a DIO's lock entry to go");
WBSIM_MARK_IN(kMarkWaitedDioCount, "dio.buffered_waited_dio_count", "dio/*",
              "buffered I/O waited for i_dio_count to reach zero before adding a page");
WBSIM_MARK_IN(kMarkDioHeldOff, "dio.dio_held_off_by_buffered", "dio/*",
              "a new DIO waited for buffered I/O that was waiting on i_dio_count (the tweak)");


namespace {
sim::FiberId current() { return sim::Scheduler::current().current_fiber(); }
pgoff_t first_page(loff_t pos) { return static_cast<pgoff_t>(pos) >> kPageShift; }
pgoff_t last_page(loff_t end) { return static_cast<pgoff_t>(end) >> kPageShift; }  // end inclusive
}  // namespace

WBSIM_MARK_IN(kMarkInvalidateSpin, "dio.write_invalidate_retried", "dio/*",
              "a DIO's write-and-invalidate loop met a redirtied page and went round again");
// filemap_invalidate_inode(inode, true, start, end) as mm/filemap.c has it:
// under the invalidate lock (faults that read a page in wait), write the
// range back and drop what can be dropped; a page redirtied meanwhile stays,
// and only a writeback error is returned. (model/mm/filemap.cpp's version,
// which netfs files use, returns -EBUSY for such a page and takes no
// invalidate lock: docs/model.md.)
int filemap_invalidate_inode_locked(LocalInode& inode, loff_t start, loff_t end) {
  AddressSpace& mapping = inode.vfs.mapping;
  if (mapping.nrpages == 0 || end < start) return filemap_check_errors(mapping);
  inode.invalidate_lock->down_write();
  if (mapping.nrpages != 0) {
    for (pgoff_t i = first_page(start); i <= last_page(end); ++i) {
      if (Folio* f = filemap_get_folio(mapping, i)) inode.writable_ptes.erase(f->id);  // unmap_mapping_pages
    }
    filemap_fdatawrite_range(mapping, start, end, SyncMode::all);
    invalidate_inode_pages2_range(mapping, first_page(start), last_page(end));
  }
  inode.invalidate_lock->up_write();
  return filemap_check_errors(mapping);
}

// bcachefs write_invalidate_inode_pages_range: write back and drop the
// range, again while a page is redirtied ("XXX: ... we can spin if a process
// is continually redirtying a specific page").
int write_invalidate_inode_pages_range(LocalInode& inode, loff_t start, loff_t end) {
  AddressSpace& mapping = inode.vfs.mapping;
  for (;;) {
    if (!filemap_range_has_page(mapping, start, end)) return 0;
    const int ret = filemap_write_and_wait_range(mapping, start, end);
    if (ret < 0) return ret;
    if (invalidate_inode_pages2_range(mapping, first_page(start), last_page(end)) == 0) return 0;
    mark(kMarkInvalidateSpin);
  }
}

// lock-entries: the DIO replaces every page of its range with a lock entry
// (and puts one where there is no page); another DIO's entry is waited for.
void place_lock_entries(LocalInode& inode, std::uint32_t dio, loff_t start, loff_t end) {
  AddressSpace& mapping = inode.vfs.mapping;
  inode.lock_entry_owners[dio] = current();
  for (pgoff_t i = first_page(start); i <= last_page(end);) {
    const auto other = inode.lock_entries.find(i);
    if (other != inode.lock_entries.end()) {  // "delay DIOs which hit in the same page as an existing DIO"
      MODEL_EVENT(local_coherency_wait(inode, "lock entry (DIO)", false));
      inode.lock_entries_wq->wait_event([&] { return inode.lock_entries.count(i) == 0; });
      continue;
    }
    Folio* f = filemap_get_folio(mapping, i);
    if (f == nullptr) {
      inode.lock_entries[i] = dio;
      ++inode.lock_entries_allocated;
      ++i;
      continue;
    }
    folio_get(*f);
    folio_lock(*f);
    folio_wait_writeback(*f);
    if (f->mapping == &mapping && folio_test_dirty(*f)) {
      folio_unlock(*f);
      folio_put(*f);
      mark(kMarkInvalidateSpin);
      const int ret = filemap_write_and_wait_range(mapping, f->pos(), f->pos() + static_cast<loff_t>(f->size()) - 1);
      SIM_ASSERT_CMP(ret, ==, 0);  // writeback bios do not fail here
      continue;
    }
    if (f->mapping == &mapping) {
      filemap_remove_folio(*f);
      inode.lock_entries[i] = dio;  // in the same xa_lock hold as the removal
      ++inode.lock_entries_allocated;
      ++i;
    }
    folio_unlock(*f);
    folio_put(*f);
  }
}

void remove_lock_entries(LocalInode& inode, std::uint32_t dio) {
  for (auto it = inode.lock_entries.begin(); it != inode.lock_entries.end();) {
    it = it->second == dio ? inode.lock_entries.erase(it) : std::next(it);
  }
  inode.lock_entry_owners.erase(dio);
  inode.lock_entries_wq->wake_up();
}



int coherency_add_begin(LocalInode& inode, Adder who) {
  if (inode.policy != DioPolicy::pagecache_add_lock) return 0;
  if (who == Adder::mkwrite ? variant::mkwrite_skips_pagecache_add_lock()
                            : who != Adder::write && variant::adders_skip_pagecache_add_lock())
    return 0;
  // bch2_page_fault / bch2_page_mkwrite: a fault on the mapping this task
  // is doing DIO to would wait on its own block hold: refuse it.
  const auto fdm = inode.fs->faults_disabled_mapping.find(current());
  if ((who == Adder::fault || who == Adder::mkwrite) && fdm != inode.fs->faults_disabled_mapping.end() &&
      fdm->second == &inode.vfs.mapping) {
    mark(kMarkFaultsDisabled);
    return kEDEADLK;
  }
  // bch2_pagecache_add_get: two_state_lock(0).
  if (inode.pagecache_lock < 0) {
    MODEL_EVENT(local_coherency_wait(inode, "pagecache_add_lock (add)", inode.pagecache_blockers.count(current()) != 0));
  }
  inode.pagecache_lock_wq->wait_event([&] { return inode.pagecache_lock >= 0; });
  ++inode.pagecache_lock;
  return 0;
}

void coherency_add_end(LocalInode& inode, Adder who) {
  if (inode.policy != DioPolicy::pagecache_add_lock) return;
  if (who == Adder::mkwrite ? variant::mkwrite_skips_pagecache_add_lock()
                            : who != Adder::write && variant::adders_skip_pagecache_add_lock())
    return;
  SIM_ASSERT_CMP(inode.pagecache_lock, >, 0);
  if (--inode.pagecache_lock == 0) inode.pagecache_lock_wq->wake_up();
}

void coherency_before_add(LocalInode& inode, pgoff_t index) {
  switch (inode.policy) {
    case DioPolicy::netfs:
    case DioPolicy::pagecache_add_lock:
      return;
    case DioPolicy::lock_entries: {
      const auto e = inode.lock_entries.find(index);
      if (e == inode.lock_entries.end()) return;
      mark(kMarkWaitedLockEntry);
      MODEL_EVENT(local_coherency_wait(inode, "lock entry", inode.lock_entry_owners.at(e->second) == current()));
      inode.lock_entries_wq->wait_event([&] { return inode.lock_entries.count(index) == 0; });
      return;
    }
    case DioPolicy::dio_via_pagecache: {
      if (inode.vfs.i_dio_count == 0) return;
      mark(kMarkWaitedDioCount);
      MODEL_EVENT(local_coherency_wait(inode, "i_dio_count", inode.dio_submitters.count(current()) != 0));
      ++inode.buffered_waiters;
      inode.vfs.i_dio_wq->wait_event([&] { return inode.vfs.i_dio_count == 0; });
      if (--inode.buffered_waiters == 0) inode.pagecache_lock_wq->wake_up();
      return;
    }
  }
}

void pagecache_block_get(LocalInode& inode) {
  if (inode.pagecache_lock > 0) MODEL_EVENT(local_coherency_wait(inode, "pagecache_add_lock (block)", false));
  inode.pagecache_lock_wq->wait_event([&] { return inode.pagecache_lock <= 0; });
  --inode.pagecache_lock;
  inode.pagecache_blockers.insert(current());
}

void pagecache_block_put(LocalInode& inode, sim::FiberId owner) {
  SIM_ASSERT_CMP(inode.pagecache_lock, <, 0);
  const auto it = inode.pagecache_blockers.find(owner);
  SIM_ASSERT(it != inode.pagecache_blockers.end());
  inode.pagecache_blockers.erase(it);
  if (++inode.pagecache_lock == 0) inode.pagecache_lock_wq->wake_up();
}

void dio_wait_for_buffered_waiters(LocalInode& inode) {
  if (variant::dio_via_pagecache_without_tweak() || inode.buffered_waiters == 0) return;
  mark(kMarkDioHeldOff);
  inode.pagecache_lock_wq->wait_event([&] { return inode.buffered_waiters == 0; });
}

}  // namespace wbsim::model
