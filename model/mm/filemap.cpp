#include "model/mm/filemap.h"

#include <algorithm>
#include <utility>

#include "model/events.h"
#include "model/mm/kswapd.h"
#include "model/mm/page_writeback.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/scheduler.h"

namespace wbsim::model {

Folio* filemap_get_folio(AddressSpace& mapping, pgoff_t index) {
  auto it = mapping.folios.upper_bound(index);
  if (it == mapping.folios.begin()) return nullptr;
  --it;
  Folio* f = it->second;
  return index < f->index + f->nr_pages() ? f : nullptr;
}

Folio& folio_alloc(Mm& mm, unsigned order) {
  auto owned = std::make_unique<Folio>();
  Folio& f = *owned;
  mm.arena.push_back(std::move(owned));
  f.id = mm.next_folio_id++;
  SIM_ASSERT(mm.arena.size() == f.id);
  f.order = order;
  return f;
}

Folio* filemap_alloc_and_add_folio(AddressSpace& mapping, pgoff_t index, unsigned order) {
  SIM_ASSERT(filemap_get_folio(mapping, index) == nullptr);
  // Natural alignment, then shrink until the range is free of neighbours.
  while (order > 0 && (index & ((pgoff_t{1} << order) - 1)) != 0) --order;
  pgoff_t start = index & ~((pgoff_t{1} << order) - 1);
  auto overlaps = [&](pgoff_t s, unsigned o) {
    const pgoff_t e = s + (pgoff_t{1} << o);
    for (pgoff_t i = s; i < e; ++i) {
      if (filemap_get_folio(mapping, i) != nullptr) return true;
    }
    return false;
  };
  while (order > 0 && overlaps(start, order)) {
    --order;
    start = index & ~((pgoff_t{1} << order) - 1);
  }
  Folio* f = &folio_alloc(*mapping.mm, order);
  mapping.mm->free_pages -= static_cast<std::int64_t>(std::uint64_t{1} << order);
  f->index = start;
  f->mapping = &mapping;
  f->refcount = 2;
  f->data.assign(f->size(), 0);
  sim::set_bit(PG_locked, f->flags);
  f->lock_owner = sim::Scheduler::current().current_fiber();
  const bool added = mapping.folios.emplace(start, f).second;
  SIM_ASSERT_MSG(added, "folio {} added over another at index {}", f->id, start);
  mapping.nrpages += f->nr_pages();
  sim::Scheduler::current().trace(static_cast<std::uint16_t>(Ev::folio_add), sim::kNoObject, start, order);
  // filemap_alloc_folio below the low watermark wakes kswapd. After the
  // folio is in the cache: the wake-up is a scheduling point, and a fiber
  // adding a folio over the range checked free above would otherwise meet
  // this one half-made (the kernel's __filemap_add_folio returns -EEXIST and
  // its caller looks the index up again; here the other fiber finds ours).
  // (The model's page-cache allocations do not enter direct reclaim;
  // docs/model.md.)
  if (mapping.mm->kswapd != nullptr && mapping.mm->free_pages < mapping.mm->low_pages) mapping.mm->kswapd->wakeup();
  return f;
}

void filemap_remove_folio(Folio& f) {
  SIM_ASSERT(f.mapping != nullptr);
  SIM_ASSERT_MSG(folio_test_locked(f), "folio {} removed from the page cache unlocked (BUG_ON)", f.index);
  MODEL_EVENT(folio_removed(f));  // the folio-state checker: not under writeback, not dirty
  AddressSpace& m = *f.mapping;
  m.folios.erase(f.index);
  m.nrpages -= f.nr_pages();
  m.mm->free_pages += static_cast<std::int64_t>(f.nr_pages());
  sim::Scheduler::current().trace(static_cast<std::uint16_t>(Ev::folio_remove), sim::kNoObject, f.index);
  f.mapping = nullptr;
  folio_put(f);  // the page cache's reference
}

std::map<pgoff_t, Folio*>::iterator first_folio_from(AddressSpace& mapping, pgoff_t start) {
  auto it = mapping.folios.lower_bound(start);
  if (it != mapping.folios.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second->nr_pages() > start) return prev;
  }
  return it;
}

std::vector<Folio*> filemap_get_folios_tag(AddressSpace& mapping, pgoff_t* start, pgoff_t end, Tag tag,
                                           std::size_t max) {
  std::vector<Folio*> batch;
  // xas_find_marked() finds nothing once the index is past `end`: a large
  // folio straddling `end`, returned by the last call, is not found again.
  if (*start > end) return batch;
  for (auto it = first_folio_from(mapping, *start); it != mapping.folios.end() && it->first <= end; ++it) {
    Folio* f = it->second;
    // The DIRTY mark follows PG_dirty (__folio_start_writeback clears it only
    // when the folio is no longer dirty).
    const bool tagged = tag == Tag::dirty ? folio_test_dirty(*f) : sim::test_bit(PAGECACHE_TAG_TOWRITE, f->flags);
    if (!tagged) continue;
    folio_get(*f);
    batch.push_back(f);
    *start = f->index + f->nr_pages();
    if (batch.size() == max) return batch;
  }
  *start = end == ~pgoff_t{0} ? end : end + 1;
  return batch;
}

void tag_pages_for_writeback(AddressSpace& mapping, pgoff_t start, pgoff_t end) {
  for (auto it = first_folio_from(mapping, start); it != mapping.folios.end() && it->first <= end; ++it) {
    Folio* f = it->second;
    if (folio_test_dirty(*f)) sim::set_bit(PAGECACHE_TAG_TOWRITE, f->flags);
  }
}

int invalidate_inode_pages2_range(AddressSpace& mapping, pgoff_t start, pgoff_t end) {
  int busy = 0;
  pgoff_t index = start;
  for (;;) {
    Folio* f = filemap_get_folio(mapping, index);
    if (f == nullptr) {
      auto it = mapping.folios.lower_bound(index);
      if (it == mapping.folios.end() || it->first > end) break;
      f = it->second;
    }
    if (f->index > end) break;
    index = f->index + f->nr_pages();
    folio_get(*f);
    folio_lock(*f);
    folio_wait_writeback(*f);
    // folio_launder: a mapping that can launder writes a dirty folio back.
    if (f->mapping == &mapping && folio_test_dirty(*f) && mapping.a_ops != nullptr &&
        mapping.a_ops->launder_folio != nullptr)
      mapping.a_ops->launder_folio(*f);
    if (f->mapping == &mapping && !folio_test_dirty(*f) && !folio_test_writeback(*f)) {
      SIM_ASSERT(f->priv.kind != FolioPrivate::Kind::streaming);  // streaming folios are dirty
      const bool released = filemap_release_folio(*f);
      SIM_ASSERT_MSG(released, "clean folio {} with private data refused invalidation", f->index);
      filemap_remove_folio(*f);  // under the folio lock: nobody else removes it meanwhile
      folio_unlock(*f);
    } else {
      ++busy;
      folio_unlock(*f);
    }
    folio_put(*f);
  }
  return busy;
}

bool filemap_range_has_page(const AddressSpace& mapping, loff_t start, loff_t end) {
  if (end < start) return false;
  const pgoff_t first = static_cast<pgoff_t>(start) >> kPageShift;
  const pgoff_t last = static_cast<pgoff_t>(end) >> kPageShift;
  auto it = mapping.folios.upper_bound(first);
  if (it != mapping.folios.begin()) {
    auto prev = std::prev(it);
    if (prev->first + prev->second->nr_pages() > first) return true;
  }
  return it != mapping.folios.end() && it->first <= last;
}

int filemap_invalidate_inode(AddressSpace& mapping, loff_t start, loff_t end) {
  // As mm/filemap.c: a folio that cannot be dropped (redirtied meanwhile)
  // stays, and only a writeback error is reported. Under the invalidate
  // lock, so no fault or readahead reads a dropped folio back meanwhile.
  if (mapping.nrpages != 0 && end >= start) {
    filemap_invalidate_lock(mapping);
    if (mapping.nrpages != 0) {  // looked at again under the lock
      filemap_fdatawrite_range(mapping, start, end, SyncMode::all);
      invalidate_inode_pages2_range(mapping, static_cast<pgoff_t>(start) >> kPageShift,
                                    static_cast<pgoff_t>(end) >> kPageShift);
    }
    filemap_invalidate_unlock(mapping);
  }
  return filemap_check_errors(mapping);
}

void mapping_set_error(AddressSpace& mapping, int error) {
  if (error == 0) return;
  // errseq_set(): WARN and record nothing for a value that is no errno.
  SIM_ASSERT_MSG(error < 0 && error >= -4095, "mapping_set_error({}): not a negative errno", error);
  mapping.wb_err = error;
  ++mapping.wb_err_seq;
  mapping.wb_err_seen = false;
  if (error == -28) {
    mapping.as_enospc = true;  // AS_ENOSPC
  } else {
    mapping.as_eio = true;     // AS_EIO
  }
  sim::Scheduler::current().trace(static_cast<std::uint16_t>(Ev::mapping_error), sim::kNoObject,
                                  static_cast<std::uint64_t>(-error));
  MODEL_EVENT(mapping_error(mapping, error));
}

int filemap_check_errors(AddressSpace& mapping) {
  // Two bits: AS_ENOSPC reports -ENOSPC, AS_EIO -EIO, and -EIO wins when
  // both are set; both are cleared.
  int err = 0;
  if (std::exchange(mapping.as_enospc, false)) err = -28;
  if (std::exchange(mapping.as_eio, false)) err = -5;
  return err;
}

std::uint32_t filemap_sample_wb_err(const AddressSpace& mapping) {
  // An error nobody has seen yet is reported to the new opener as well.
  return mapping.wb_err_seen ? mapping.wb_err_seq : mapping.wb_err_seq - 1;
}

int file_check_and_advance_wb_err(AddressSpace& mapping, std::uint32_t* seen_seq) {
  if (*seen_seq == mapping.wb_err_seq) return 0;
  *seen_seq = mapping.wb_err_seq;
  mapping.wb_err_seen = true;
  mapping.as_eio = false;  // reported through the errseq: the AS_EIO and AS_ENOSPC flags go too
  mapping.as_enospc = false;
  return mapping.wb_err;
}

}  // namespace wbsim::model
