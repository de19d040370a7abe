#include "model/mm/folio.h"

#include <algorithm>

#include "model/events.h"
#include "model/mm/filemap.h"
#include "model/mm/flusher.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/scheduler.h"
#include "sim/wait_holder.h"

namespace wbsim::model {

namespace {

void trace(Ev e, const Folio& f, std::uint64_t b = 0) {
  sim::Scheduler::current().trace(static_cast<std::uint16_t>(e), sim::kNoObject, f.index, b);
}

void check_live(const Folio& f) {
  SIM_ASSERT_MSG(!f.freed, "folio {} (index {}) used after it was freed", f.id, f.index);
}

}  // namespace

void folio_lock(Folio& f, std::source_location loc) {
  check_live(f);
  for (;;) {
    sim::yield();
    if (!f.test(PG_locked)) break;
    // PG_locked is a bit lock: tell the wait-for graph who holds it.
    const sim::WaitHolderScope holder(&f.lock_owner);
    sim::wait_on_bit(f.flags, PG_locked, loc);
  }
  sim::set_bit(PG_locked, f.flags);
  f.lock_owner = sim::Scheduler::current().current_fiber();
  trace(Ev::folio_lock, f);
  MODEL_EVENT(folio_locked(f));
}

bool folio_trylock(Folio& f) {
  check_live(f);
  sim::yield();
  if (f.test(PG_locked)) return false;
  sim::set_bit(PG_locked, f.flags);
  f.lock_owner = sim::Scheduler::current().current_fiber();
  trace(Ev::folio_lock, f);
  MODEL_EVENT(folio_locked(f));
  return true;
}

void folio_unlock(Folio& f) {
  check_live(f);
  SIM_ASSERT_MSG(f.test(PG_locked), "folio_unlock of unlocked folio {}", f.index);
  trace(Ev::folio_unlock, f);
  MODEL_EVENT(folio_unlocked(f));
  f.lock_owner = sim::kNoFiber;
  sim::clear_and_wake_up_bit(PG_locked, f.flags);
}

void folio_start_writeback(Folio& f) {
  check_live(f);
  sim::yield();
  // The folio-state checker holds the caller to the contract: locked, not
  // already under writeback.
  MODEL_EVENT(folio_start_writeback(f));
  sim::set_bit(PG_writeback, f.flags);
  // __folio_start_writeback clears the TOWRITE mark (no keep_towrite here).
  sim::clear_bit(PAGECACHE_TAG_TOWRITE, f.flags);
  if (f.mapping) f.mapping->mm->nr_writeback += f.nr_pages();
  trace(Ev::folio_start_wb, f);
}

void folio_end_writeback(Folio& f) {
  check_live(f);
  MODEL_EVENT(folio_end_writeback(f));  // the folio-state checker: under writeback, once per start
  trace(Ev::folio_end_wb, f);
  sim::clear_bit(PG_reclaim, f.flags);  // folio_end_writeback -> folio_rotate_reclaimable
  f.wb_owner = sim::kNoFiber;
  if (f.mapping) {
    SIM_ASSERT_CMP(f.mapping->mm->nr_writeback, >=, f.nr_pages());
    f.mapping->mm->nr_writeback -= f.nr_pages();
  }
  sim::clear_and_wake_up_bit(PG_writeback, f.flags);
}

void folio_wait_writeback(Folio& f, std::source_location loc) {
  sim::yield();
  while (f.test(PG_writeback)) sim::wait_on_bit(f.flags, PG_writeback, loc);
}

bool folio_mark_dirty(Folio& f) {
  check_live(f);
  sim::yield();
  // folio_mark_dirty(): a redirtied folio loses the mark reclaim left on it
  // under writeback (a later reclaim pass meets it anew).
  if (f.mapping != nullptr && f.test(PG_reclaim)) sim::clear_bit(PG_reclaim, f.flags);
  if (f.test(PG_dirty)) return false;
  sim::set_bit(PG_dirty, f.flags);
  if (f.mapping) {
    AddressSpace& m = *f.mapping;
    m.mm->nr_dirty += f.nr_pages();
    if (!m.dirty_inode) {
      m.dirty_inode = true;
      m.dirtied_when = sim::now();
      if (m.mm->flusher != nullptr) m.mm->flusher->inode_dirtied();
    }
  }
  trace(Ev::folio_dirty, f);
  MODEL_EVENT(folio_dirtied(f));
  return true;
}

bool folio_clear_dirty_for_io(Folio& f) {
  check_live(f);
  SIM_ASSERT(f.test(PG_locked));
  if (!f.test(PG_dirty)) return false;
  sim::clear_bit(PG_dirty, f.flags);
  if (f.mapping) {
    SIM_ASSERT_CMP(f.mapping->mm->nr_dirty, >=, f.nr_pages());
    f.mapping->mm->nr_dirty -= f.nr_pages();
  }
  trace(Ev::folio_clear_dirty, f);
  return true;
}

void folio_redirty_for_writepage(Folio& f) {
  check_live(f);
  trace(Ev::folio_redirty, f);
  folio_mark_dirty(f);
}

void folio_mark_uptodate(Folio& f) { sim::set_bit(PG_uptodate, f.flags); }

void folio_get(Folio& f) {
  check_live(f);
  ++f.refcount;
}

void folio_put(Folio& f) {
  check_live(f);
  SIM_ASSERT_CMP(f.refcount, >, 0);
  if (--f.refcount == 0) {
    SIM_ASSERT_MSG(f.mapping == nullptr, "last reference to folio {} dropped while in the page cache", f.index);
    MODEL_EVENT(folio_freed(f));  // the folio-state checker: not under writeback, not locked
    f.freed = true;
  }
}

void folio_attach_private(Folio& f, FolioPrivate p) {
  SIM_ASSERT(f.priv.kind == FolioPrivate::Kind::none);
  SIM_ASSERT(p.kind != FolioPrivate::Kind::none);
  f.priv = p;
  sim::set_bit(PG_private, f.flags);
  folio_get(f);  // as folio_attach_private does
  MODEL_EVENT(folio_private_changed(f, FolioPrivate::Kind::none));
}

FolioPrivate folio_change_private(Folio& f, FolioPrivate p) {
  SIM_ASSERT(f.priv.kind != FolioPrivate::Kind::none);
  SIM_ASSERT(p.kind != FolioPrivate::Kind::none);
  const FolioPrivate old = f.priv;
  f.priv = p;
  MODEL_EVENT(folio_private_changed(f, old.kind));
  return old;
}

void folio_zero_segment(Folio& f, std::uint64_t start, std::uint64_t end) {
  SIM_ASSERT_MSG(start <= end && end <= f.size(), "BUG_ON: zeroing [{}, {}) of folio {} of {} bytes", start, end,
                 f.index, f.size());
  std::fill(f.data.begin() + static_cast<std::ptrdiff_t>(start), f.data.begin() + static_cast<std::ptrdiff_t>(end),
            std::uint8_t{0});
}

void folio_zero_range(Folio& f, std::uint64_t offset, std::uint64_t length) {
  folio_zero_segment(f, offset, offset + length);
}

FolioPrivate folio_detach_private(Folio& f) {
  FolioPrivate p = f.priv;
  if (p.kind == FolioPrivate::Kind::none) return p;
  f.priv = {};
  sim::clear_bit(PG_private, f.flags);
  MODEL_EVENT(folio_private_changed(f, p.kind));
  folio_put(f);
  return p;
}

}  // namespace wbsim::model
