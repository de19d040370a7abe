//! Folios: the page cache's unit of memory, as in include/linux/mm_types.h and
//! include/linux/page-flags.h.
//!
//! A folio covers 2^order pages (order 0 to kMaxOrder) of one file, carries
//! the flag bits the writeback engine drives (PG_locked, PG_uptodate, PG_dirty,
//! PG_writeback), a reference count, the file data it holds, and
//! folio->private, which netfs uses for a write group, the copy-to-cache mark,
//! or a streaming-write record (struct netfs_folio).
//!
//! Not modelled: LRU lists, memcg, the page/folio split and large-folio
//! splitting, mapcount. Folios are never freed back to an allocator during a
//! run: a folio removed from the cache whose last reference is dropped is
//! marked `freed`, so a later touch is a detectable use-after-free.
#pragma once

#include <cstdint>
#include <source_location>
#include <vector>

#include "sim/bitwait.h"
#include "sim/types.h"

namespace wbsim::model {

using pgoff_t = std::uint64_t;
using loff_t = std::int64_t;

inline constexpr std::uint64_t kPageSize = 4096;
inline constexpr unsigned kPageShift = 12;
inline constexpr unsigned kMaxOrder = 4;

enum PageFlag : unsigned {
  PG_locked = 0,
  PG_uptodate = 1,
  PG_dirty = 2,
  PG_writeback = 3,
  PG_private = 4,
  PG_reclaim = 5,  // reclaim met the folio under writeback (shrink_folio_list)
  // The readahead marker (the kernel shares PG_reclaim's bit; readahead
  // leaves a folio under writeback alone, so the two never meet).
  PG_readahead = 6,
};

struct AddressSpace;
struct NetfsGroup;
struct NetfsFolio;

// What folio->private holds (PG_private set iff kind != none).
struct FolioPrivate {
  enum class Kind : std::uint8_t { none, group, copy_to_cache, streaming };
  Kind kind = Kind::none;
  NetfsGroup* group = nullptr;      // kind == group
  NetfsFolio* finfo = nullptr;      // kind == streaming
};

struct Folio {
  pgoff_t index = 0;  // first page
  unsigned order = 0;
  sim::FlagsWord flags = 0;
  int refcount = 1;
  bool freed = false;
  AddressSpace* mapping = nullptr;  // null once truncated out of the cache
  FolioPrivate priv;
  std::vector<std::uint8_t> data;  // folio_size() bytes
  std::uint32_t id = 0;            // creation order, for traces
  sim::FiberId lock_owner = sim::kNoFiber;  // who holds PG_locked (for contract checks)
  // Who alone can end this folio's writeback, when one fiber can (a
  // single-threaded FUSE server): the wait-for graph's edge for waits on
  // PG_writeback.
  sim::FiberId wb_owner = sim::kNoFiber;

  std::uint64_t size() const { return kPageSize << order; }
  loff_t pos() const { return static_cast<loff_t>(index << kPageShift); }
  std::uint64_t nr_pages() const { return std::uint64_t{1} << order; }
  bool test(PageFlag f) const { return sim::test_bit(f, flags); }
};

inline std::uint64_t folio_size(const Folio& f) { return f.size(); }
inline loff_t folio_pos(const Folio& f) { return f.pos(); }
inline bool folio_test_locked(const Folio& f) { return f.test(PG_locked); }
inline bool folio_test_dirty(const Folio& f) { return f.test(PG_dirty); }
inline bool folio_test_writeback(const Folio& f) { return f.test(PG_writeback); }
inline bool folio_test_uptodate(const Folio& f) { return f.test(PG_uptodate); }

// Locking (PG_locked as a bit lock, waiters on the bit-wait table).
void folio_lock(Folio& f, std::source_location loc = std::source_location::current());
bool folio_trylock(Folio& f);
void folio_unlock(Folio& f);

// PG_writeback. start requires the folio locked (as the kernel's callers do)
// and not already under writeback; end wakes folio_wait_writeback.
void folio_start_writeback(Folio& f);
void folio_end_writeback(Folio& f);
void folio_wait_writeback(Folio& f, std::source_location loc = std::source_location::current());

// PG_dirty, with the mapping's dirty tag and the global dirty accounting.
bool folio_mark_dirty(Folio& f);
bool folio_clear_dirty_for_io(Folio& f);
void folio_redirty_for_writepage(Folio& f);
void folio_mark_uptodate(Folio& f);

void folio_get(Folio& f);
void folio_put(Folio& f);

// Private data (netfs ownership of folio->private). attach takes a folio
// reference and asserts nothing was attached; change swaps the data of a
// folio that has some, keeping its reference; detach drops it.
void folio_attach_private(Folio& f, FolioPrivate p);
FolioPrivate folio_change_private(Folio& f, FolioPrivate p);
FolioPrivate folio_detach_private(Folio& f);

// folio_zero_segment(): zeros [start, end) of the folio's bytes. As
// zero_user_segments() under it, a range past the folio is a BUG_ON.
void folio_zero_segment(Folio& f, std::uint64_t start, std::uint64_t end);
// folio_zero_range(): zeros `length` bytes from `offset` (the same BUG_ON).
void folio_zero_range(Folio& f, std::uint64_t offset, std::uint64_t length);

}  // namespace wbsim::model
