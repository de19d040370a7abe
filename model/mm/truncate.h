//! Taking folios out of a file's page cache at truncate (mm/truncate.c):
//! truncate_inode_pages_range() and the helpers it is built from, with their
//! kernel names, as a mainline-tracking tree (linux-next, 2026) has them.
//!
//! Not modelled: shadow and DAX entries, unmapping (the model's mappings
//! hold no page-table state: a store after removal finds the folio gone),
//! and folio splitting: try_folio_split() is taken to fail, so a large
//! folio straddling the cut is dropped whole if clean and kept whole if
//! dirty -- the kernel's own path when the split fails (docs/model.md).
#pragma once

#include "model/mm/filemap.h"

namespace wbsim::model {

// folio_invalidate(): the mapping's ->invalidate_folio over [offset,
// offset + length) of a locked folio.
void folio_invalidate(Folio& folio, std::uint64_t offset, std::uint64_t length);

// folio_cancel_dirty(): PG_dirty cleared and its accounting undone, for a
// folio that is about to leave the page cache.
void folio_cancel_dirty(Folio& folio);

// truncate_inode_folio(): a locked folio out of the page cache with its
// dirty state and private data; -EIO if it left `mapping` meanwhile.
int truncate_inode_folio(AddressSpace& mapping, Folio& folio);

// truncate_inode_partial_folio(): waits for the locked folio's writeback,
// zeroes and invalidates the part in [lstart, lend]; false if a dirty
// large folio could not be split and must be kept whole.
bool truncate_inode_partial_folio(Folio& folio, loff_t lstart, loff_t lend);

// truncate_inode_pages_range(): the first pass trylocks and removes the
// folios wholly inside the range that are not locked or under writeback;
// then the partial folios at each end; then a blocking pass locks, waits
// for writeback and removes what is left, until nothing is. lend == -1 is
// end of file. The caller holds the inode lock.
void truncate_inode_pages_range(AddressSpace& mapping, loff_t lstart, loff_t lend);

// mapping_evict_folio(): a locked folio leaves the page cache if it is
// clean, not under writeback, held by nobody but the cache, its private
// data and the caller, and the filesystem lets its private data go. The
// number of pages freed, or 0.
long mapping_evict_folio(AddressSpace& mapping, Folio& folio);

// mapping_try_invalidate(): every folio wholly inside [start, end] that can
// be trylocked and evicted leaves the cache; locked, dirty, under writeback
// or in use ones are skipped (counted in *nr_failed when it is given).
// Never blocks. Pages freed.
unsigned long mapping_try_invalidate(AddressSpace& mapping, pgoff_t start, pgoff_t end, unsigned long* nr_failed);

// invalidate_mapping_pages(): drop_caches' and fadvise(DONTNEED)'s
// best-effort drop of the unused clean folios of [start, end].
inline unsigned long invalidate_mapping_pages(AddressSpace& mapping, pgoff_t start, pgoff_t end) {
  return mapping_try_invalidate(mapping, start, end, nullptr);
}

// truncate_inode_pages(): everything from lstart on.
inline void truncate_inode_pages(AddressSpace& mapping, loff_t lstart) { truncate_inode_pages_range(mapping, lstart, -1); }

}  // namespace wbsim::model
