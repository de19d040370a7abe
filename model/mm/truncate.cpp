// Pin: mm/truncate.c (linux-next 2026, as ColinIanKing/linux-next stores it at 09d5a30ad434; docs/fidelity.md).
#include "model/mm/truncate.h"

#include <algorithm>
#include <vector>

#include "model/errno.h"
#include "model/mm/page_writeback.h"
#include "sim/assert.h"
#include "sim/coverage.h"
#include "sim/scheduler.h"

namespace wbsim::model {

using sim::mark;

WBSIM_MARK(kMarkTruncateWaitsWriteback, "mm.truncate_waits_writeback", "truncate waited for a folio under writeback");
WBSIM_MARK(kMarkTruncateSkippedBusy, "mm.truncate_skipped_busy",
           "truncate's first pass left a locked folio or one under writeback to the blocking pass");
WBSIM_MARK_IN(kMarkLockFolioMoved, "mm.lock_folio_moved", "netfs/*",
              "truncate locked a folio that left the mapping while it waited (moved or dropped) and looked again");
WBSIM_MARK(kMarkInvalidateSkippedInUse, "mm.invalidate_skipped_in_use",
           "invalidate_mapping_pages left a clean folio someone else held a reference to");
WBSIM_MARK(kMarkTruncateKeptDirtyLarge, "mm.truncate_kept_dirty_large",
           "truncate kept a dirty large folio straddling the cut whole (no split)");

namespace {

constexpr std::size_t kPagevecSize = 31;  // PAGEVEC_SIZE

// The folios overlapping [start, end] in index order, each with a reference
// (the RCU walk's folio_try_get): a snapshot, since the model's lock
// attempts are scheduling points.
std::vector<Folio*> get_folios(AddressSpace& mapping, pgoff_t start, pgoff_t end) {
  std::vector<Folio*> out;
  for (auto it = first_folio_from(mapping, start); it != mapping.folios.end() && it->first <= end; ++it) {
    folio_get(*it->second);
    out.push_back(it->second);
  }
  return out;
}

// find_lock_entries(): up to a batch of folios that lie wholly in
// [*start, end], trylocked, still in the mapping and not under writeback;
// *start moves past the last one returned.
std::vector<Folio*> find_lock_entries(AddressSpace& mapping, pgoff_t* start, pgoff_t end) {
  std::vector<Folio*> batch;
  for (Folio* f : get_folios(mapping, *start, end)) {
    const bool inside = f->index >= *start && f->index + f->nr_pages() - 1 <= end;
    if (batch.size() < kPagevecSize && inside && folio_trylock(*f)) {
      if (f->mapping == &mapping && !folio_test_writeback(*f)) {
        batch.push_back(f);
        continue;
      }
      folio_unlock(*f);
    }
    if (batch.size() < kPagevecSize && inside) mark(kMarkTruncateSkippedBusy);
    folio_put(*f);
  }
  if (!batch.empty()) *start = batch.back()->index + batch.back()->nr_pages();
  return batch;
}

// find_get_entries(): up to a batch of folios from *start on (one covering
// *start included), referenced, not locked; *start moves past the last.
std::vector<Folio*> find_get_entries(AddressSpace& mapping, pgoff_t* start, pgoff_t end) {
  std::vector<Folio*> all = get_folios(mapping, *start, end);
  for (std::size_t i = kPagevecSize; i < all.size(); ++i) folio_put(*all[i]);
  if (all.size() > kPagevecSize) all.resize(kPagevecSize);
  if (!all.empty()) *start = all.back()->index + all.back()->nr_pages();
  return all;
}

// __filemap_get_folio(FGP_LOCK): the folio holding `index`, referenced and
// locked, looked up again if it left the mapping while we waited.
Folio* filemap_lock_folio(AddressSpace& mapping, pgoff_t index) {
  for (;;) {
    Folio* folio = filemap_get_folio(mapping, index);
    if (folio == nullptr) return nullptr;
    folio_get(*folio);
    folio_lock(*folio);
    if (folio->mapping == &mapping) return folio;
    mark(kMarkLockFolioMoved);
    folio_unlock(*folio);
    folio_put(*folio);
  }
}

void folio_wait_writeback_marked(Folio& folio) {
  if (folio_test_writeback(folio)) mark(kMarkTruncateWaitsWriteback);
  folio_wait_writeback(folio);
}

// folio_needs_release(): private data, or a mapping that always wants to
// hear of its folios leaving (AS_RELEASE_ALWAYS).
bool folio_needs_release(const Folio& folio) {
  return folio.test(PG_private) || (folio.mapping != nullptr && folio.mapping->release_always);
}

// truncate_cleanup_folio(): invalidate the whole folio if it needs release,
// then cancel its dirty state ("Some filesystems seem to re-dirty the
// page even after the VM has canceled the dirty bit": the check comes after
// the invalidation).
void truncate_cleanup_folio(Folio& folio) {
  if (folio_needs_release(folio)) folio_invalidate(folio, 0, folio.size());
  folio_cancel_dirty(folio);
}

}  // namespace

void folio_invalidate(Folio& folio, std::uint64_t offset, std::uint64_t length) {
  const AddressSpaceOps* aops = folio.mapping->a_ops;
  if (aops != nullptr && aops->invalidate_folio != nullptr) aops->invalidate_folio(folio, offset, length);
}

void folio_cancel_dirty(Folio& folio) {
  if (!folio_test_dirty(folio)) return;
  sim::clear_bit(PG_dirty, folio.flags);
  folio.mapping->mm->nr_dirty -= folio.nr_pages();  // folio_account_cleaned
}

int truncate_inode_folio(AddressSpace& mapping, Folio& folio) {
  if (folio.mapping != &mapping) return kEIO;
  truncate_cleanup_folio(folio);
  filemap_remove_folio(folio);
  return 0;
}

bool truncate_inode_partial_folio(Folio& folio, loff_t lstart, loff_t lend) {
  const loff_t pos = folio.pos();
  const std::uint64_t offset = pos < lstart ? static_cast<std::uint64_t>(lstart - pos) : 0;
  std::uint64_t length = folio.size();
  // (u64)end: lend == -1, end of file, is the largest value.
  if (static_cast<std::uint64_t>(pos) + length <= static_cast<std::uint64_t>(lend)) {
    length -= offset;
  } else {
    length = static_cast<std::uint64_t>(lend + 1 - pos) - offset;
  }
  folio_wait_writeback_marked(folio);  // under the folio lock
  SIM_ASSERT(folio.mapping != nullptr);
  if (length == folio.size()) {
    truncate_inode_folio(*folio.mapping, folio);
    return true;
  }
  // Zeroed even where the folio is about to go: simpler, as the kernel says.
  folio_zero_range(folio, offset, length);
  if (folio_needs_release(folio)) folio_invalidate(folio, offset, length);
  if (folio.order == 0) return true;
  // try_folio_split() is not modelled: it fails, and the kernel's failure
  // path follows. A dirty folio is kept whole for the caller to skip.
  if (folio_test_dirty(folio)) {
    mark(kMarkTruncateKeptDirtyLarge);
    return false;
  }
  truncate_inode_folio(*folio.mapping, folio);
  return true;
}

void truncate_inode_pages_range(AddressSpace& mapping, loff_t lstart, loff_t lend) {
  if (mapping.nrpages == 0) return;  // mapping_empty
  // [start, end) are the pages wholly truncated; end is exclusive.
  pgoff_t start = static_cast<pgoff_t>(lstart + static_cast<loff_t>(kPageSize) - 1) >> kPageShift;
  pgoff_t end = lend == -1 ? ~pgoff_t{0} : static_cast<pgoff_t>(lend + 1) >> kPageShift;

  // The first pass: never blocks on a folio lock or on writeback.
  pgoff_t index = start;
  while (index < end) {
    std::vector<Folio*> batch = find_lock_entries(mapping, &index, end - 1);
    if (batch.empty()) break;
    for (Folio* f : batch) truncate_cleanup_folio(*f);
    for (Folio* f : batch) filemap_remove_folio(*f);  // delete_from_page_cache_batch
    for (Folio* f : batch) folio_unlock(*f);
    for (Folio* f : batch) folio_put(*f);  // folio_batch_release
    sim::yield();                          // cond_resched
  }

  // The partial folios at each end. folio_pos() + folio_size() is unsigned
  // in C, so lend == -1 is never "the same folio".
  bool same_folio = (lstart >> kPageShift) == (lend >> kPageShift);
  if (Folio* folio = filemap_lock_folio(mapping, static_cast<pgoff_t>(lstart) >> kPageShift)) {
    same_folio = static_cast<std::uint64_t>(lend) < static_cast<std::uint64_t>(folio->pos()) + folio->size();
    if (!truncate_inode_partial_folio(*folio, lstart, lend)) {
      start = folio->index + folio->nr_pages();
      if (same_folio) end = folio->index;
    }
    folio_unlock(*folio);
    folio_put(*folio);
  }
  if (!same_folio) {
    if (Folio* folio = filemap_lock_folio(mapping, static_cast<pgoff_t>(lend) >> kPageShift)) {
      if (!truncate_inode_partial_folio(*folio, lstart, lend)) end = folio->index;
      folio_unlock(*folio);
      folio_put(*folio);
    }
  }

  // The blocking pass, until nothing is left from start on.
  index = start;
  while (index < end) {
    sim::yield();  // cond_resched
    std::vector<Folio*> batch = find_get_entries(mapping, &index, end - 1);
    if (batch.empty()) {
      if (index == start) break;  // all gone from start onwards
      index = start;              // otherwise restart to make sure all gone
      continue;
    }
    for (Folio* f : batch) {
      folio_lock(*f);
      folio_wait_writeback_marked(*f);
      truncate_inode_folio(mapping, *f);  // -EIO if it left meanwhile: nothing to do
      folio_unlock(*f);
    }
    for (Folio* f : batch) folio_put(*f);
  }
}

long mapping_evict_folio(AddressSpace& mapping, Folio& folio) {
  SIM_ASSERT_MSG(folio_test_locked(folio), "mapping_evict_folio on unlocked folio {}", folio.index);
  if (folio.mapping != &mapping) return 0;  // truncated before it was locked
  if (folio_test_dirty(folio) || folio_test_writeback(folio)) return 0;
  // The page cache's reference, the private data's and the caller's: any
  // other (a reader copying out, a fault) means the folio is in use. (The
  // kernel's page cache holds a reference per page; the model's one.)
  if (folio.refcount > 1 + (folio.test(PG_private) ? 1 : 0) + 1) {
    mark(kMarkInvalidateSkippedInUse);
    return 0;
  }
  if (!filemap_release_folio(folio)) return 0;
  // remove_mapping(): __remove_mapping's folio_ref_freeze expects exactly
  // the cache's and the caller's references, and the folio still clean.
  if (folio.refcount != 2 || folio_test_dirty(folio)) return 0;
  const long nr = static_cast<long>(folio.nr_pages());
  filemap_remove_folio(folio);
  return nr;
}

unsigned long mapping_try_invalidate(AddressSpace& mapping, pgoff_t start, pgoff_t end, unsigned long* nr_failed) {
  pgoff_t index = start;
  unsigned long count = 0;
  for (;;) {
    std::vector<Folio*> batch = find_lock_entries(mapping, &index, end);
    if (batch.empty()) break;
    for (Folio* folio : batch) {
      const long ret = mapping_evict_folio(mapping, *folio);
      folio_unlock(*folio);
      // Invalidation is a hint: a folio that stays is deactivated (LRU
      // order is not modelled).
      if (ret == 0 && nr_failed != nullptr) ++*nr_failed;
      count += static_cast<unsigned long>(ret);
    }
    for (Folio* folio : batch) folio_put(*folio);  // folio_batch_release
    sim::yield();                                  // cond_resched
  }
  return count;
}

}  // namespace wbsim::model
