// Pin: mm/readahead.c with struct file_ra_state's `order` (the folio order
// readahead ramps up by two at each asynchronous window), as at the netfs
// pin (docs/fidelity.md).
//
// Simplified: no memalloc_nofs, no workingset/PSI accounting, no blk-cgroup
// congestion, no FMODE_RANDOM; bdi->io_pages is taken to be no larger than ra_pages; a
// folio the allocator could not give is not modelled (the cache's pages
// are charged as filemap_alloc_and_add_folio does).
#include "model/mm/readahead.h"

#include <algorithm>
#include <bit>

#include "sim/assert.h"
#include "sim/coverage.h"

namespace wbsim::model {

WBSIM_MARK(kMarkRaLargeFolio, "mm.readahead_large_folio", "readahead allocated a folio larger than a page");
WBSIM_MARK(kMarkRaLargeAfterCached, "mm.readahead_large_after_cached",
           "a sequential stream's window went on in large folios right after its cached run");

namespace {

// The batches read_pages() handed on under the invalidate lock. The kernel's
// ->readahead issues the reads and returns, and they complete, unlocking
// the folios, after readahead has dropped the lock: a hole punch waits for
// the lock, not for the reads, and then for each folio's lock. The model's
// ->readahead reads synchronously, so a batch is read once the lock is
// dropped (complete_reads()), issuing and completing together.
using IssuedBatches = std::vector<std::vector<Folio*>>;

// read_pages(): hand the batch to ->readahead; it unlocks every folio.
void read_pages(IssuedBatches& issued, std::vector<Folio*>& batch) {
  if (batch.empty()) return;
  issued.push_back(std::move(batch));
  batch.clear();
}

void complete_reads(ReadaheadControl& ractl, IssuedBatches& issued) {
  for (std::vector<Folio*>& batch : issued) ractl.readahead(batch);
  issued.clear();
}

// page_cache_ra_unbounded(): an order-0 folio for every missing index; the
// one at nr_to_read - lookahead carries the marker. A page already present
// ends the batch; the batch after it starts anew.
void page_cache_ra_unbounded(ReadaheadControl& ractl, pgoff_t index, unsigned long nr_to_read,
                             unsigned long lookahead) {
  const unsigned long mark = lookahead <= nr_to_read ? nr_to_read - lookahead : ~0ul;
  // Shared: a hole punch (exclusive) must not see folios it dropped come
  // back, read from the server before it changed the range.
  filemap_invalidate_lock_shared(ractl.mapping);
  IssuedBatches issued;
  std::vector<Folio*> batch;
  for (unsigned long i = 0; i < nr_to_read; ++i) {
    if (filemap_get_folio(ractl.mapping, index + i) != nullptr) {
      read_pages(issued, batch);
      continue;
    }
    Folio* folio = filemap_alloc_and_add_folio(ractl.mapping, index + i, 0);
    if (i == mark) sim::set_bit(PG_readahead, folio->flags);
    batch.push_back(folio);
  }
  read_pages(issued, batch);
  filemap_invalidate_unlock_shared(ractl.mapping);
  complete_reads(ractl, issued);
}

unsigned long get_init_ra_size(unsigned long size, unsigned long max) {
  const unsigned long newsize = std::bit_ceil(size);  // roundup_pow_of_two
  if (newsize <= max / 32) return newsize * 4;
  if (newsize <= max / 4) return newsize * 2;
  return max;
}

unsigned long get_next_ra_size(const FileRaState& ra, unsigned long max) {
  const unsigned long cur = ra.size;
  if (cur < max / 16) return 4 * cur;
  if (cur <= max / 2) return 2 * cur;
  return max;
}

// page_cache_next_miss(): the first index of [index, index + max_scan)
// no folio covers, index + max_scan if there is none, 0 on wrapping. A
// large folio covers every index it spans, as its multi-index entry does.
pgoff_t page_cache_next_miss(AddressSpace& mapping, pgoff_t index, unsigned long max_scan) {
  for (unsigned long n = 0; n < max_scan; ++n) {
    const pgoff_t at = index + n;
    if (filemap_get_folio(mapping, at) == nullptr) return at;
    if (at + 1 == 0) return 0;
  }
  return index + max_scan;
}

// page_cache_prev_miss(): the same, downwards from index; ~0 when the
// cache holds every page from index down to the start of the file.
pgoff_t page_cache_prev_miss(AddressSpace& mapping, pgoff_t index, unsigned long max_scan) {
  pgoff_t at = index;
  for (unsigned long n = 0; n < max_scan; ++n) {
    if (filemap_get_folio(mapping, at) == nullptr) return at;
    if (at == 0) return ~pgoff_t{0};
    --at;
  }
  return at;
}

// ra_alloc_folio(): a folio of `order` at index, marked if the (rounded)
// marker falls on it; false where filemap_add_folio() would fail with
// -EEXIST (a page of its range is cached).
bool ra_alloc_folio(ReadaheadControl& ractl, std::vector<Folio*>& batch, pgoff_t index, pgoff_t mark,
                    unsigned order) {
  const pgoff_t nr = pgoff_t{1} << order;
  if (filemap_range_has_page(ractl.mapping, static_cast<loff_t>(index << kPageShift),
                             static_cast<loff_t>(((index + nr) << kPageShift) - 1)))
    return false;
  Folio* folio = filemap_alloc_and_add_folio(ractl.mapping, index, order);
  SIM_ASSERT_MSG(folio->index == index && folio->order == order, "readahead wanted order {} at {}, got {} at {}",
                 order, index, folio->order, folio->index);
  if (order > 0) sim::mark(kMarkRaLargeFolio);
  // The ramp-up's point: each asynchronous window starts on the page after
  // the last one read, and its folios grow there.
  if (order > 0 && index > 0 && filemap_get_folio(ractl.mapping, index - 1) != nullptr)
    sim::mark(kMarkRaLargeAfterCached);
  if (index == (mark & ~(nr - 1))) sim::set_bit(PG_readahead, folio->flags);
  batch.push_back(folio);
  return true;
}

}  // namespace

void do_page_cache_ra(ReadaheadControl& ractl, pgoff_t index, unsigned long nr_to_read, unsigned long lookahead) {
  const loff_t isize = ractl.i_size;
  if (isize == 0) return;
  const pgoff_t end_index = static_cast<pgoff_t>(isize - 1) >> kPageShift;
  if (index > end_index) return;
  // Don't read past the page containing the last byte of the file.
  if (nr_to_read > end_index - index) nr_to_read = end_index - index + 1;
  page_cache_ra_unbounded(ractl, index, nr_to_read, lookahead);
}

void page_cache_ra_order(ReadaheadControl& ractl, pgoff_t index) {
  FileRaState& ra = ractl.ra;
  // No window is larger than ractl_max_pages(), ra_pages here (the model's
  // io_pages is no larger): get_init_ra_size(), get_next_ra_size(), the
  // context path's min() and mmap read-around all stay within it.
  SIM_ASSERT_MSG(ra.size <= ra.ra_pages, "a readahead window of {} pages, past the maximum of {}", ra.size, ra.ra_pages);
  const pgoff_t start = index;
  // (i_size - 1) >> PAGE_SHIFT in loff_t: an empty file's limit is ~0.
  pgoff_t limit = static_cast<pgoff_t>((ractl.i_size - 1) >> kPageShift);
  const pgoff_t mark = index + ra.size - ra.async_size;
  bool failed = false;
  if (ractl.max_order == 0) {
    ra.order = 0;
  } else {
    SIM_ASSERT(ra.size > 0);
    limit = std::min<pgoff_t>(limit, index + ra.size - 1);
    unsigned new_order = std::min(ractl.max_order, ra.order);
    new_order = std::min<unsigned>(new_order, std::bit_width(ra.size) - 1);  // ilog2
    ra.order = new_order;
    // See page_cache_ra_unbounded().
    filemap_invalidate_lock_shared(ractl.mapping);
    IssuedBatches issued;
    std::vector<Folio*> batch;
    while (index <= limit) {
      unsigned order = new_order;
      // Align with smaller folios if needed.
      if ((index & ((pgoff_t{1} << order) - 1)) != 0) order = static_cast<unsigned>(std::countr_zero(index));
      // Don't allocate pages past EOF.
      while (order > 0 && index + (pgoff_t{1} << order) - 1 > limit) --order;
      if (!ra_alloc_folio(ractl, batch, index, mark, order)) {
        failed = true;
        break;
      }
      index += pgoff_t{1} << order;
    }
    read_pages(issued, batch);
    filemap_invalidate_unlock_shared(ractl.mapping);
    complete_reads(ractl, issued);
    // Pages already cached may have left gaps: the order-0 code below
    // takes care of them (page_cache_ra_unbounded() takes the lock again).
    if (!failed) return;
  }
  if (ra.size > index - start) do_page_cache_ra(ractl, index, ra.size - (index - start), ra.async_size);
}

void page_cache_sync_ra(ReadaheadControl& ractl, pgoff_t index, unsigned long req_count) {
  FileRaState& ra = ractl.ra;
  // Readahead off: the forced readahead reads just the page asked for.
  if (ra.ra_pages == 0) {
    do_page_cache_ra(ractl, index, 1, 0);
    return;
  }
  const unsigned long max_pages = ra.ra_pages;  // ractl_max_pages: io_pages is no larger
  const pgoff_t prev_index = static_cast<pgoff_t>(static_cast<std::uint64_t>(ra.prev_pos) >> kPageShift);
  // A start of file, an oversized read or a sequential cache miss (an
  // unaligned read repeats the previous page).
  if (index == 0 || req_count > max_pages || index - prev_index <= 1) {
    ra.start = index;
    ra.size = static_cast<unsigned>(get_init_ra_size(req_count, max_pages));
    ra.async_size = ra.size > req_count ? static_cast<unsigned>(ra.size - req_count) : ra.size >> 1;
  } else {
    // Look for the cached history a sequential stream leaves behind.
    const pgoff_t miss = page_cache_prev_miss(ractl.mapping, index - 1, max_pages);
    unsigned long contig = index - miss - 1;
    // A standalone small random read: read it as is, leave the state alone.
    if (contig <= req_count) {
      do_page_cache_ra(ractl, index, req_count, 0);
      return;
    }
    // Cached from the start of the file: a long-run stream.
    if (miss == ~pgoff_t{0}) contig *= 2;
    ra.start = index;
    ra.size = static_cast<unsigned>(std::min(contig + req_count, max_pages));
    ra.async_size = 1;
  }
  ra.order = 0;
  page_cache_ra_order(ractl, ra.start);
}

// MMAP_LOTSAMISS: past this many more misses than hits, faults stop
// reading around.
constexpr unsigned kMmapLotsamiss = 100;

void do_sync_mmap_readahead(ReadaheadControl& ractl, pgoff_t index) {
  FileRaState& ra = ractl.ra;
  // No VM_RAND_READ, VM_SEQ_READ or VM_EXEC mappings in the model.
  if (ra.ra_pages == 0) return;
  if (ra.mmap_miss < kMmapLotsamiss * 10) ++ra.mmap_miss;
  // Missing much more than hitting: read-around would only hurt.
  if (ra.mmap_miss > kMmapLotsamiss) return;
  // mmap read-around.
  ra.start = index > ra.ra_pages / 2 ? index - ra.ra_pages / 2 : 0;
  ra.size = ra.ra_pages;
  ra.async_size = ra.ra_pages / 4;
  ra.order = 0;
  page_cache_ra_order(ractl, ra.start);
}

void do_async_mmap_readahead(ReadaheadControl& ractl, Folio& folio) {
  FileRaState& ra = ractl.ra;
  if (ra.ra_pages == 0) return;
  if (ra.mmap_miss > 0) --ra.mmap_miss;
  if (folio.test(PG_readahead)) page_cache_async_ra(ractl, folio, ra.ra_pages);
}

void page_cache_async_ra(ReadaheadControl& ractl, Folio& folio, unsigned long req_count) {
  FileRaState& ra = ractl.ra;
  if (ra.ra_pages == 0) return;
  // The same bit is PG_reclaim under writeback.
  if (folio_test_writeback(folio)) return;
  sim::clear_bit(PG_readahead, folio.flags);
  const unsigned long max_pages = ra.ra_pages;
  const pgoff_t index = folio.index;
  const pgoff_t expected = (ra.start + ra.size - ra.async_size) & ~(pgoff_t{folio.nr_pages()} - 1);
  if (index == expected) {
    // The expected marker: a sequential stream. Ramp up and push forward.
    ra.start += ra.size;
    ra.size = static_cast<unsigned>(std::max<unsigned long>(ra.size, get_next_ra_size(ra, max_pages)));
  } else {
    // A marked folio without valid state (interleaved reads): the cached
    // run after it stands for the old async size.
    const pgoff_t start = page_cache_next_miss(ractl.mapping, index + 1, max_pages);
    if (start == 0 || start - index > max_pages) return;
    ra.start = start;
    ra.size = static_cast<unsigned>(start - index + req_count);
    ra.size = static_cast<unsigned>(get_next_ra_size(ra, max_pages));
  }
  ra.order += 2;
  const pgoff_t align = pgoff_t{1} << std::min<unsigned>(ra.order, static_cast<unsigned>(std::countr_zero(max_pages)));
  const pgoff_t end = ra.start + ra.size;
  const pgoff_t aligned_end = end & ~(align - 1);
  if (aligned_end > ra.start) ra.size -= static_cast<unsigned>(end - aligned_end);
  ra.async_size = ra.size;
  page_cache_ra_order(ractl, ra.start);
}

}  // namespace wbsim::model
