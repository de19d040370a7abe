//! The page cache of one file (struct address_space) and the global memory
//! accounting the writeback engine needs (dirty and writeback page counts).
//!
//! The kernel's xarray becomes an ordered map from first page index to folio,
//! so every walk is in index order and never depends on an address. Tags are
//! per-folio booleans with the xarray marks' meaning: DIRTY follows PG_dirty
//! until writeback starts (as __folio_start_writeback clears it), TOWRITE is
//! set by tag_pages_for_writeback and cleared when writeback starts.
//!
//! Not modelled: shadow entries, multi-index entries beyond one folio per
//! index range. mapping->invalidate_lock is a netfs inode's only: a FUSE
//! mapping takes it exclusive only under DAX, and a local file's inode
//! keeps its own (model/dio/local.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "model/mm/folio.h"
#include "sim/rwsem.h"
#include "sim/waitqueue.h"

namespace wbsim::model {

class Flusher;

// Global page accounting and the dirty thresholds (mm/page-writeback.c's
// global_dirty_limits, reduced to two fixed thresholds in pages).
class Kswapd;
class Kcompactd;

struct Mm {
  std::uint64_t nr_dirty = 0;      // NR_FILE_DIRTY
  std::uint64_t nr_writeback = 0;  // NR_WRITEBACK
  std::uint64_t background_thresh = 256;
  std::uint64_t dirty_thresh = 512;
  std::uint32_t next_folio_id = 1;
  Flusher* flusher = nullptr;  // woken when writers cross background_thresh
  std::vector<std::unique_ptr<Folio>> arena;  // every folio ever made (see folio.h)
  // The page budget (model/mm/reclaim.h). Page-cache folios are charged
  // when added and uncharged when removed; alloc_pages() below the low
  // watermark enters direct reclaim. Unlimited unless a scenario sets it.
  std::int64_t free_pages = std::int64_t{1} << 40;
  // Pages handed out by alloc_pages() or from a mempool's reserve and not
  // given back (free_pages(), mempool_free()): at quiescence, none. A page
  // the page cache holds is charged apart (above).
  std::int64_t pages_in_use = 0;
  std::int64_t min_pages = 0;   // WMARK_MIN: what only non-blocking and reserve allocations go below
  std::int64_t low_pages = 0;   // WMARK_LOW: kswapd is woken, direct reclaim begins
  std::int64_t high_pages = 0;  // WMARK_HIGH: where kswapd stops (0: low + low/4)
  std::uint64_t pgmigrate_success = 0;  // vmstat PGMIGRATE_SUCCESS: folios migrate_folio() moved
  Kswapd* kswapd = nullptr;        // woken below the low watermark (model/mm/kswapd.h)
  Kcompactd* kcompactd = nullptr;  // woken by kswapd after it balanced (model/mm/compaction.h)
  // Legacy (cgroup v1) memcg reclaim without sane writeback throttling:
  // the one context in which reclaim waits for writeback (shrink_folio_list's
  // case 3).
  bool legacy_memcg = false;
  std::vector<AddressSpace*> reclaimable;  // mappings reclaim scans, in registration order
};

// Tag bits kept beside the folio flags (xarray marks).
enum PageTag : unsigned {
  PAGECACHE_TAG_TOWRITE = 8,
};

struct AddressSpaceOps;

struct AddressSpace {
  Mm* mm = nullptr;
  void* host = nullptr;  // the owning inode (netfs_inode for netfs files)
  enum class HostKind : std::uint8_t { netfs, fuse, local };
  HostKind host_kind = HostKind::netfs;
  const AddressSpaceOps* a_ops = nullptr;
  std::map<pgoff_t, Folio*> folios;  // keyed by folio->index
  std::uint64_t nrpages = 0;
  pgoff_t writeback_index = 0;       // range_cyclic resume point
  int wb_err = 0;                    // latest mapping_set_error() (errseq_t value)
  std::uint32_t wb_err_seq = 0;      // bumps on every new error (errseq_t counter)
  bool wb_err_seen = true;           // errseq's SEEN flag: some file has reported it
  bool as_eio = false;               // AS_EIO: for filemap_check_errors()
  bool as_enospc = false;            // AS_ENOSPC
  sim::Time dirtied_when = 0;        // oldest dirtying since last clean
  bool dirty_inode = false;          // on the bdi's dirty list
  // AS_WRITEBACK_MAY_DEADLOCK_ON_RECLAIM: writeback may wait on something
  // reclaim itself may be blocking (a FUSE server), so reclaim never waits
  // for this mapping's writeback.
  bool writeback_may_deadlock_on_reclaim = false;
  // AS_NO_DATA_INTEGRITY: sync(2) does not wait for this mapping's
  // writeback (wait_sb_inodes skips it); fd-based fsync still does.
  bool no_data_integrity = false;
  // AS_RELEASE_ALWAYS (mapping_set_release_always): ->release_folio and
  // ->invalidate_folio are called for folios without private data too
  // (netfs sets it: they drive zero_point).
  bool release_always = false;
  // mapping_max_folio_order(): the largest folio readahead may allocate
  // (mapping_set_large_folios() sets MAX_PAGECACHE_ORDER); 0 for a mapping
  // without large folios.
  unsigned max_folio_order = 0;
  // mapping->invalidate_lock: shared while folios are added to the cache
  // and read (readahead, a fault), exclusive while a range is dropped so
  // the server can change it (filemap_invalidate_inode, the filesystem's
  // hole punch): a fault cannot read stale bytes back in meanwhile. Null
  // for mappings that do not model it (filemap.h's header).
  std::unique_ptr<sim::RwSem> invalidate_lock;
};

// filemap_invalidate_lock{,_shared}() and their unlocks; no-ops on a
// mapping without the lock.
inline void filemap_invalidate_lock(AddressSpace& m) {
  if (m.invalidate_lock) m.invalidate_lock->down_write();
}
inline void filemap_invalidate_unlock(AddressSpace& m) {
  if (m.invalidate_lock) m.invalidate_lock->up_write();
}
inline void filemap_invalidate_lock_shared(AddressSpace& m) {
  if (m.invalidate_lock) m.invalidate_lock->down_read();
}
inline void filemap_invalidate_unlock_shared(AddressSpace& m) {
  if (m.invalidate_lock) m.invalidate_lock->up_read();
}

// MAX_PAGECACHE_ORDER on x86-64 with 4 KiB pages (HPAGE_PMD_ORDER).
inline constexpr unsigned kMaxPagecacheOrder = 9;

// The folio containing page `index`, or null.
Folio* filemap_get_folio(AddressSpace& mapping, pgoff_t index);
// The first folio covering `start` or after it: a large folio that begins
// before `start` but spans it is found, as the xarray's multi-index entries
// are.
std::map<pgoff_t, Folio*>::iterator first_folio_from(AddressSpace& mapping, pgoff_t start);
// folio_alloc(): a new folio of `order` in the arena, id next_folio_id, no
// reference, no flags, no data, charged to nothing (the caller charges the
// page budget if it should). The arena keeps arena[id - 1] == the folio
// with that id, which the checkers read.
Folio& folio_alloc(Mm& mm, unsigned order);
// Allocates a folio of `order` (clamped so it is naturally aligned and does
// not overlap a neighbour), adds it to the cache locked, refcount 2 (cache
// + caller), not uptodate.
Folio* filemap_alloc_and_add_folio(AddressSpace& mapping, pgoff_t index, unsigned order);
// Removes a folio from the cache (truncate, invalidate). It must not be
// dirty-tagged nor under writeback.
void filemap_remove_folio(Folio& folio);

// Folios with their first index in [start, end] (end inclusive) and `tag`
// set (PG_dirty for the dirty tag), ascending; takes a reference on each.
enum class Tag : std::uint8_t { dirty, towrite };
std::vector<Folio*> filemap_get_folios_tag(AddressSpace& mapping, pgoff_t* start, pgoff_t end, Tag tag,
                                           std::size_t max);
void tag_pages_for_writeback(AddressSpace& mapping, pgoff_t start, pgoff_t end);
// invalidate_inode_pages2_range(): drops the clean folios covering pages
// [start, end] (waiting for writeback); dirty ones stay unless the mapping
// has ->launder_folio, which writes them back first. Returns how many
// folios could not be dropped.
int invalidate_inode_pages2_range(AddressSpace& mapping, pgoff_t start, pgoff_t end);
// filemap_range_has_page(): a folio of the page cache overlaps the bytes
// [start, end] (end inclusive).
bool filemap_range_has_page(const AddressSpace& mapping, loff_t start, loff_t end);
// filemap_invalidate_inode(inode, flush=true, start, end): write the range
// back (WB_SYNC_ALL, no wait) and drop its clean folios, waiting for their
// writeback; a folio redirtied meanwhile stays. Returns filemap_check_errors().
int filemap_invalidate_inode(AddressSpace& mapping, loff_t start, loff_t end);

// mapping_set_error(): records the error both in the errseq (reported once
// to every open file description by fsync) and in the AS_EIO flag
// (reported once, to whoever calls filemap_check_errors first).
void mapping_set_error(AddressSpace& mapping, int error);
int file_check_and_advance_wb_err(AddressSpace& mapping, std::uint32_t* seen_seq);
int filemap_check_errors(AddressSpace& mapping);
// The errseq cursor a newly opened file starts from (filemap_sample_wb_err).
std::uint32_t filemap_sample_wb_err(const AddressSpace& mapping);

}  // namespace wbsim::model
