//! mm/readahead.c: the on-demand readahead window (page_cache_sync_ra,
//! page_cache_async_ra), large-folio readahead (page_cache_ra_order) and
//! the order-0 fallback (do_page_cache_ra, page_cache_ra_unbounded), for
//! every filesystem of the model. The filesystem's ->readahead is a
//! callback given the batch of new, locked folios.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "model/mm/filemap.h"
#include "model/mm/folio.h"

namespace wbsim::model {

// struct file_ra_state (include/linux/fs.h).
struct FileRaState {
  pgoff_t start = 0;
  unsigned size = 0;
  unsigned async_size = 0;
  unsigned ra_pages = 32;  // VM_READAHEAD_PAGES, or the bdi's
  unsigned order = 0;      // the order of the folios the last readahead allocated
  unsigned mmap_miss = 0;  // page faults that found no folio, less those that hit one
  loff_t prev_pos = -1;
};

// struct readahead_control, with what the model reads through it.
struct ReadaheadControl {
  AddressSpace& mapping;
  FileRaState& ra;
  const loff_t& i_size;  // the host inode's i_size, read where the kernel reads it
  // mapping_max_folio_order(): 0 without mapping_set_large_folios().
  unsigned max_order = 0;
  // ->readahead (read_pages): reads the batch of new folios, locked and
  // referenced by the cache and by readahead, in index order; it unlocks
  // each one and drops readahead's reference.
  std::function<void(std::vector<Folio*>&)> readahead;
};

// page_cache_sync_readahead(): a read missed the cache at `index` wanting
// `req_count` pages.
void page_cache_sync_ra(ReadaheadControl& ractl, pgoff_t index, unsigned long req_count);
// page_cache_async_readahead(): a read reached `folio`, which carries the
// readahead marker.
void page_cache_async_ra(ReadaheadControl& ractl, Folio& folio, unsigned long req_count);
// page_cache_ra_order() from `index` over ra.size pages (an mmap fault's
// read-around sets the window itself).
void page_cache_ra_order(ReadaheadControl& ractl, pgoff_t index);
// filemap_fault()'s readahead: do_sync_mmap_readahead() when the faulting
// page is not cached (read-around centred on it, unless faults miss far
// more than they hit), do_async_mmap_readahead() when it is (the mmap_miss
// count goes down; a marker starts the next window).
void do_sync_mmap_readahead(ReadaheadControl& ractl, pgoff_t index);
void do_async_mmap_readahead(ReadaheadControl& ractl, Folio& folio);
// do_page_cache_ra(): order-0 folios for the missing pages of
// [index, index + nr_to_read), not past EOF; the one lookahead pages before
// the end carries the marker.
void do_page_cache_ra(ReadaheadControl& ractl, pgoff_t index, unsigned long nr_to_read, unsigned long lookahead);

}  // namespace wbsim::model
