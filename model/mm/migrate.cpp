#include "model/mm/migrate.h"

#include <vector>

#include "model/events.h"
#include "model/mm/page_writeback.h"
#include "model/trace_reasons.h"
#include "model/mm/variants.h"
#include "sim/assert.h"
#include "sim/coverage.h"
#include "sim/scheduler.h"
#include "sim/wait_holder.h"

namespace wbsim::model {

using sim::mark;

WBSIM_MARK_IN(kMarkMigrateBusy, "mm.migrate_busy_writeback", "fuse/*", "migration gave up on a folio under writeback");
WBSIM_MARK_IN(kMarkMigrateWaited, "mm.migrate_waited_writeback", "netfs/range_ops_vs_writeback", "MIGRATE_SYNC waited for writeback");
WBSIM_MARK_IN(kMarkMigrateRefs, "mm.migrate_extra_refs", "-", "migration met a folio someone else holds (-EAGAIN)");
WBSIM_MARK_IN(kMarkMigrated, "mm.migrated", "fuse/*", "a folio was migrated");
WBSIM_MARK_IN(kMarkOfflineGaveUp, "mm.offline_pages_gave_up", "fuse/*", "offline_pages gave up after its tries");

namespace {
constexpr int kEBUSY = -16;
constexpr int kEAGAIN = -11;
constexpr int kOfflineTries = 5;  // the v4 proposal's limit

// The migration target (compaction_alloc, alloc_migration_target): a new
// folio of the same order, locked, holding migration's reference. Not
// charged: src's pages are freed in its place (the budget counts the page
// cache, and the cache's entry moves).
Folio& alloc_migration_target(Mm& mm, const Folio& src) {
  Folio& dst = folio_alloc(mm, src.order);
  dst.index = src.index;
  dst.refcount = 1;
  sim::set_bit(PG_locked, dst.flags);
  dst.lock_owner = sim::Scheduler::current().current_fiber();
  return dst;
}

// folio_migrate_mapping() for a folio with no mapped pages: the page
// cache's entry and its reference move from src to dst (the caller checked
// the expected count), with the dirty state, which the global dirty
// accounting does not see move (the model has one node).
void folio_migrate_mapping(AddressSpace& mapping, Folio& dst, Folio& src) {
  SIM_ASSERT(mapping.folios.at(src.index) == &src);
  mapping.folios[src.index] = &dst;
  dst.mapping = &mapping;
  src.mapping = nullptr;
  ++dst.refcount;  // folio_ref_add(newfolio, nr): the page cache's
  --src.refcount;  // folio_ref_unfreeze(folio, expected_count - nr)
  if (folio_test_dirty(src)) {
    sim::clear_bit(PG_dirty, src.flags);
    sim::set_bit(PG_dirty, dst.flags);
  }
  if (sim::test_bit(PAGECACHE_TAG_TOWRITE, src.flags)) {  // the xarray marks go with the entry
    sim::clear_bit(PAGECACHE_TAG_TOWRITE, src.flags);
    sim::set_bit(PAGECACHE_TAG_TOWRITE, dst.flags);
  }
}

}  // namespace

// __filemap_migrate_folio(): the mapping, then folio->private (and the
// reference it holds), then folio_migrate_flags(); folio_mc_copy() copied
// the contents before. migrate_folio() checked src's references already
// (folio_migrate_mapping's -EAGAIN), so this cannot fail.
int filemap_migrate_folio(AddressSpace& mapping, Folio& dst, Folio& src) {
  SIM_ASSERT_CMP(src.refcount, ==, 2 + (src.test(PG_private) ? 1 : 0));
  dst.data = src.data;
  folio_migrate_mapping(mapping, dst, src);
  if (src.priv.kind != FolioPrivate::Kind::none) {
    dst.priv = src.priv;
    src.priv = FolioPrivate{};
    sim::clear_bit(PG_private, src.flags);
    sim::set_bit(PG_private, dst.flags);
    --src.refcount;
    ++dst.refcount;
  }
  for (const unsigned bit : {PG_uptodate, PG_readahead}) {
    if (sim::test_bit(bit, src.flags)) sim::set_bit(bit, dst.flags);
  }
  trace_ev(Ev::folio_migrate, src.index, dst.id);
  MODEL_EVENT(folio_migrated(src, dst));
  return 0;
}

int migrate_folio(Folio& folio, MigrateMode mode) {
  if (folio.mapping == nullptr) return 0;  // truncated since isolation: nothing to move
  SIM_ASSERT_MSG(folio.refcount >= 2, "migrate_folio on folio {} without the isolation reference", folio.index);
  if (mode == MigrateMode::async) {
    if (!folio_trylock(folio)) return kEAGAIN;
  } else {
    folio_lock(folio);
  }
  if (folio_test_writeback(folio)) {
    const bool flagged = folio.mapping != nullptr && folio.mapping->writeback_may_deadlock_on_reclaim;
    if (mode != MigrateMode::sync || (flagged && !variant::migrate_waits_on_may_block_writeback())) {
      mark(kMarkMigrateBusy);
      folio_unlock(folio);
      return kEBUSY;
    }
    // migrate_folio_unmap in MIGRATE_SYNC: wait (with the folio lock held,
    // as the kernel does).
    mark(kMarkMigrateWaited);
    sim::Scheduler& sched = sim::Scheduler::current();
    sched.push_note("migrate_folio (MIGRATE_SYNC) waiting for writeback");
    {
      const sim::WaitHolderScope holder(&folio.wb_owner);
      folio_wait_writeback(folio);
    }
    sched.pop_note();
  }
  // folio_migrate_mapping: the page cache's reference, ours, and the one
  // private data holds; anyone else still using the folio makes it -EAGAIN.
  const int expected = 2 + (folio.test(PG_private) ? 1 : 0);
  if (folio.mapping == nullptr || folio.refcount != expected) {
    mark(kMarkMigrateRefs);
    folio_unlock(folio);
    return folio.mapping == nullptr ? 0 : kEAGAIN;
  }
  // migrate_folio_extra(): BUG_ON(folio_test_writeback(src)).
  SIM_ASSERT_MSG(!folio_test_writeback(folio), "folio {} migrated under writeback: writeback must be complete",
                 folio.index);
  AddressSpace& mapping = *folio.mapping;
  Folio& dst = alloc_migration_target(*mapping.mm, folio);
  const AddressSpaceOps* ops = mapping.a_ops;
  const int moved = ops != nullptr && ops->migrate_folio != nullptr ? ops->migrate_folio(mapping, dst, folio)
                                                                    : filemap_migrate_folio(mapping, dst, folio);
  SIM_ASSERT_CMP(moved, ==, 0);
  mark(kMarkMigrated);
  ++mapping.mm->pgmigrate_success;
  // migrate_folio_move(): both unlocked; migration's reference on dst goes
  // (the page cache holds it now), and the caller's isolation reference on
  // src is its last.
  folio_unlock(dst);
  folio_put(dst);
  folio_unlock(folio);
  return 0;
}

int migrate_mapping(AddressSpace& mapping, MigrateMode mode) {
  // isolate_migratepages: a reference on each folio first, so none can be
  // freed under us while another is being moved.
  std::vector<Folio*> isolated;
  for (const auto& [index, f] : mapping.folios) {
    folio_get(*f);
    isolated.push_back(f);
  }
  int busy = 0;
  for (Folio* f : isolated) {
    if (migrate_folio(*f, mode) != 0) ++busy;
    folio_put(*f);
  }
  return busy;
}

int offline_pages(AddressSpace& mapping) {
  for (int tries = 1;; ++tries) {
    if (migrate_mapping(mapping, MigrateMode::sync) == 0) return 0;
    if (!variant::migrate_waits_on_may_block_writeback() && tries >= kOfflineTries) {
      mark(kMarkOfflineGaveUp);
      return kEBUSY;
    }
    sim::sleep(sim::kMs);  // the retry loop's cond_resched and lru drain
  }
}

}  // namespace wbsim::model
