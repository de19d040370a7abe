// The four coherency designs' hooks on the page-adding paths (faults,
// page_mkwrite, readahead, buffered I/O) and their DIO-side halves.
#include "model/dio/coherency.h"

#include "model/dio/local_internal.h"
#include "model/dio/variants.h"
#include "model/errno.h"
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
}  // namespace

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
