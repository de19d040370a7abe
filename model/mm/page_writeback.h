//! Writeback control and writeback_iter(), after mm/page-writeback.c, plus the
//! filemap_* flush and wait helpers and dirty throttling.
//!
//! writeback_iter() keeps the kernel's contract (W1-W5 in docs/model.md):
//! every folio it returns is locked, was dirty and is now dirty-cleared, is
//! not under writeback and still belongs to the mapping; the caller must call
//! it again with that folio until it returns null; WB_SYNC_ALL visits every
//! folio tagged TOWRITE at the start, waiting for writeback in progress, and
//! returns the first error; WB_SYNC_NONE stops at an error or when
//! nr_to_write runs out; folios are taken in ascending index order and the
//! walk never wraps.
#pragma once

#include <cstdint>
#include <source_location>
#include <vector>

#include "model/mm/filemap.h"

namespace wbsim::model {

enum class SyncMode : std::uint8_t { none, all };  // WB_SYNC_NONE, WB_SYNC_ALL

struct WritebackControl {
  long nr_to_write = 1L << 30;
  loff_t range_start = 0;
  loff_t range_end = INT64_MAX;
  SyncMode sync_mode = SyncMode::none;
  bool tagged_writepages = false;
  bool for_background = false;
  bool for_kupdate = false;
  bool for_reclaim = false;
  bool range_cyclic = false;

  // writeback_iter() state.
  pgoff_t index = 0;
  std::vector<Folio*> fbatch;
  std::size_t fbatch_next = 0;
  int saved_err = 0;
  // Contract checking (W2, W4): the last folio handed out.
  Folio* last_returned = nullptr;
  pgoff_t last_index = 0;
};

struct AddressSpaceOps {
  // ->writepages: write back dirty folios of the mapping under `wbc`.
  int (*writepages)(AddressSpace& mapping, WritebackControl& wbc);
  // ->release_folio: may a clean folio leave the page cache? False keeps
  // it (and its private data); null: yes (filemap_release_folio).
  bool (*release_folio)(Folio& folio) = nullptr;
  // ->write_inode: write the inode's metadata at the end of WB_SYNC_ALL
  // writeback (may be null). FUSE sends a synchronous SETATTR.
  void (*write_inode)(AddressSpace& mapping) = nullptr;
  // ->launder_folio: write a dirty, locked folio back and wait for it, so
  // invalidation can drop it (may be null: dirty folios stay).
  int (*launder_folio)(Folio& folio) = nullptr;
  // ->invalidate_folio: [offset, offset + length) of a locked folio is
  // being truncated away (may be null).
  void (*invalidate_folio)(Folio& folio, std::uint64_t offset, std::uint64_t length) = nullptr;
  // ->migrate_folio: move a locked folio's page-cache entry, contents,
  // flags and private data to dst (null: filemap_migrate_folio, which netfs
  // and FUSE set). -EAGAIN if someone else holds src.
  int (*migrate_folio)(AddressSpace& mapping, Folio& dst, Folio& src) = nullptr;
};

Folio* writeback_iter(AddressSpace& mapping, WritebackControl& wbc, Folio* folio, int* error);

int do_writepages(AddressSpace& mapping, WritebackControl& wbc);
int filemap_fdatawrite_range(AddressSpace& mapping, loff_t start, loff_t end, SyncMode mode);
// Waits for writeback on every folio in range; returns filemap_check_errors().
int filemap_fdatawait_range(AddressSpace& mapping, loff_t start, loff_t end);
int filemap_write_and_wait_range(AddressSpace& mapping, loff_t start, loff_t end);

// Called by writers after dirtying: wakes the flusher past the background
// threshold and throttles the writer past the dirty threshold, in pauses of
// kDirtyThrottlePause, each of which kicks background writeback again.
void balance_dirty_pages_ratelimited(AddressSpace& mapping);
inline constexpr sim::Time kDirtyThrottlePause = 10 * sim::kMs;

// filemap_release_folio: asks the filesystem whether a clean folio may
// leave the cache, then drops its private data. False: it stays, private
// data and all.
bool filemap_release_folio(Folio& folio);

// sync_file_range(2) (fs/sync.c): WAIT_BEFORE waits for writeback already
// under way over the range, WRITE starts writeback (WB_SYNC_ALL only with
// both waits), WAIT_AFTER waits again. No data-integrity promise: nothing
// is waited for that writeback does not cover (FUSE's in-flight copies).
inline constexpr unsigned SYNC_FILE_RANGE_WAIT_BEFORE = 1;
inline constexpr unsigned SYNC_FILE_RANGE_WRITE = 2;
inline constexpr unsigned SYNC_FILE_RANGE_WAIT_AFTER = 4;
// With `f_wb_err` (the calling file's errseq cursor) each wait reports the
// file's unseen writeback error, as file_fdatawait_range does.
int sync_file_range(AddressSpace& mapping, loff_t offset, loff_t nbytes, unsigned flags,
                    std::uint32_t* f_wb_err = nullptr);

}  // namespace wbsim::model
