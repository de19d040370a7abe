//! The 6.18 client's page-cache reads: filemap_read (mm/filemap.c) with
//! synchronous and asynchronous readahead (model/mm/readahead.cpp), mmap
//! read-around on a fault (filemap_fault's do_sync_mmap_readahead), and
//! FUSE's side of them: ->readahead sends one FUSE_READ per run of folios
//! (synchronous: FUSE_CAP_ASYNC_READ is off), ->read_folio one per folio
//! (fuse_do_readfolio).
//!
//! Which folios are cached and up to date decides where write-through
//! WRITEs split, so this follows the kernel's readahead window for FUSE's
//! bdi (ra_pages = max_readahead / PAGE_SIZE; io_pages no larger). Folios
//! are order 0 (mapping_large_folio_support is off at 6.18). Not modelled:
//! MADV hints, the blk-cgroup congestion check.
#include <algorithm>
#include <cstring>

#include "model/fuse/fuse.h"
#include "model/fuse/internal.h"
#include "model/mm/filemap.h"
#include "model/mm/readahead.h"
#include "sim/assert.h"
#include "sim/coverage.h"

namespace wbsim::model {

WBSIM_MARK_IN(kMarkFuseAsyncRa, "fuse.async_readahead", "fsx/*", "a read hit the readahead marker");

int fuse_do_readfolio(FuseFile& file, Folio& folio, std::uint64_t off, std::uint64_t len) {
  FuseInode& fi = *file.inode;
  FuseIn in;
  in.nodeid = fi.nodeid;
  in.offset = folio.pos() + static_cast<loff_t>(off);
  in.size = len;
  in.flags = file.f_flags;
  FuseConn::Reply reply;
  if (const int err = fi.fc->simple_request(fi, FuseOpcode::read, in, {}, &reply); err != 0) return err;
  // page_zeroing: what the server did not return reads as zeros.
  folio_zero_range(folio, off, len);
  std::copy(reply.data.begin(), reply.data.end(), folio.data.begin() + static_cast<long>(off));
  fuse_invalidate_attr_mask(fi, kStatxAtime);  // fuse_invalidate_atime
  return 0;
}

namespace {

// fuse_readahead of the locked new folios [first, first + n): one
// synchronous FUSE_READ for the run (at most max_pages), then each folio
// is up to date and unlocked.
void read_pages(FuseFile& file, std::vector<Folio*>& batch) {
  if (batch.empty()) return;
  FuseInode& fi = *file.inode;
  const unsigned max_pages = fi.fc->options().max_pages;
  for (std::size_t i = 0; i < batch.size(); i += max_pages) {
    const std::size_t n = std::min<std::size_t>(max_pages, batch.size() - i);
    FuseIn in;
    in.nodeid = fi.nodeid;
    in.offset = batch[i]->pos();
    in.size = n * kPageSize;
    in.flags = file.f_flags;
    FuseConn::Reply reply;
    const int err = fi.fc->simple_request(fi, FuseOpcode::read, in, {}, &reply);
    for (std::size_t k = 0; k < n; ++k) {
      Folio& f = *batch[i + k];
      if (err == 0) {
        const std::size_t from = k * kPageSize;
        std::fill(f.data.begin(), f.data.end(), 0);
        if (from < reply.data.size()) {
          const std::size_t m = std::min<std::size_t>(kPageSize, reply.data.size() - from);
          std::copy(reply.data.begin() + static_cast<long>(from), reply.data.begin() + static_cast<long>(from + m),
                    f.data.begin());
        }
        folio_mark_uptodate(f);
      }
      folio_unlock(f);
      folio_put(f);
    }
  }
  fuse_invalidate_attr_mask(fi, kStatxAtime);
  batch.clear();
}

// The readahead of a FUSE file: order 0 (no large folios at 6.18), read
// by read_pages above.
ReadaheadControl fuse_ractl(FuseFile& file) {
  FuseInode& fi = *file.inode;
  return ReadaheadControl{.mapping = fi.mapping,
                          .ra = file.ra,
                          .i_size = fi.i_size,
                          .max_order = 0,
                          .readahead = [&file](std::vector<Folio*>& batch) { read_pages(file, batch); }};
}

bool test_readahead(const Folio& f) { return f.test(PG_readahead); }

// filemap_read_folio() as filemap_update_page() and filemap_fault() reach
// it: a reference and the folio lock around ->read_folio, uptodate on
// success.
void filemap_read_folio(FuseFile& file, Folio& folio) {
  folio_get(folio);
  folio_lock(folio);
  if (fuse_do_readfolio(file, folio, 0, folio.size()) == 0) folio_mark_uptodate(folio);
  folio_unlock(folio);
  folio_put(folio);
}

}  // namespace

void filemap_read(FuseFile& file, loff_t pos, std::uint64_t count, std::vector<std::uint8_t>* out) {
  FuseInode& fi = *file.inode;
  AddressSpace& m = fi.mapping;
  loff_t last_pos = pos;
  while (count > 0 && pos < fi.i_size) {
    const pgoff_t index = static_cast<pgoff_t>(pos) >> kPageShift;
    const pgoff_t last_index = (static_cast<std::uint64_t>(pos) + count + kPageSize - 1) >> kPageShift;
    // filemap_get_pages: readahead when the first folio is missing, async
    // readahead at a marker, a synchronous read of a folio not up to date.
    Folio* folio = filemap_get_folio(m, index);
    if (folio == nullptr) {
      ReadaheadControl ractl = fuse_ractl(file);
      page_cache_sync_ra(ractl, index, last_index - index);
      folio = filemap_get_folio(m, index);
    }
    if (folio == nullptr) {  // filemap_create_folio
      folio = filemap_alloc_and_add_folio(m, index, 0);
      if (fuse_do_readfolio(file, *folio, 0, folio->size()) == 0) folio_mark_uptodate(*folio);
      folio_unlock(*folio);
      folio_put(*folio);
    }
    if (test_readahead(*folio)) {
      sim::mark(kMarkFuseAsyncRa);
      ReadaheadControl ractl = fuse_ractl(file);
      page_cache_async_ra(ractl, *folio, last_index - folio->index);
    }
    if (!folio_test_uptodate(*folio)) filemap_read_folio(file, *folio);
    const loff_t end = std::min<loff_t>(fi.i_size, pos + static_cast<loff_t>(count));
    const loff_t stop = std::min<loff_t>(end, folio->pos() + static_cast<loff_t>(folio->size()));
    const auto from = static_cast<std::size_t>(pos - folio->pos());
    out->insert(out->end(), folio->data.begin() + static_cast<long>(from),
                folio->data.begin() + static_cast<long>(from + static_cast<std::size_t>(stop - pos)));
    count -= static_cast<std::uint64_t>(stop - pos);
    pos = stop;
    last_pos = pos;
  }
  file.ra.prev_pos = last_pos;
}

Folio* fuse_fault_folio(FuseFile& file, pgoff_t index) {
  FuseInode& fi = *file.inode;
  Folio* folio = filemap_get_folio(fi.mapping, index);
  ReadaheadControl ractl = fuse_ractl(file);
  if (folio != nullptr) {
    if (test_readahead(*folio)) sim::mark(kMarkFuseAsyncRa);
    do_async_mmap_readahead(ractl, *folio);
  } else {
    do_sync_mmap_readahead(ractl, index);  // read-around centred on the fault
    folio = filemap_get_folio(fi.mapping, index);
    if (folio == nullptr) {  // __filemap_get_folio(FGP_CREAT | FGP_FOR_MMAP)
      folio = filemap_alloc_and_add_folio(fi.mapping, index, 0);
      folio_unlock(*folio);
      folio_put(*folio);
    }
  }
  if (!folio_test_uptodate(*folio)) filemap_read_folio(file, *folio);
  return folio;
}

}  // namespace wbsim::model
