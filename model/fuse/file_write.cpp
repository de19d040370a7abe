//! The 6.18 client's write(2) (fs/fuse/file.c): fuse_cache_write_iter.
//! With the writeback cache the data goes into the page cache through
//! iomap (model/iomap/buffered_io.cpp) and leaves by writeback; without it
//! fuse_perform_write copies it into the page cache and sends it at once,
//! a WRITE per run of folios fuse_fill_write_pages gathers: a run ends at a
//! folio the write leaves not up to date (kept locked until its WRITE is
//! answered) or at a write that ends inside a folio.
#include <algorithm>
#include <cstring>

#include "model/events.h"
#include "model/fuse/fuse.h"
#include "model/fuse/internal.h"
#include "model/iomap/buffered_io.h"
#include "model/mm/filemap.h"
#include "sim/assert.h"
#include "sim/coverage.h"
#include "sim/rwsem.h"

namespace wbsim::model {

WBSIM_MARK_IN(kMarkFuseWriteThroughSplit, "fuse.write_through_split", "fsx/*",
              "a write-through WRITE ended at a folio left not up to date");

namespace {

unsigned fuse_wr_pages(loff_t pos, std::uint64_t len, unsigned max_pages) {
  const auto first = static_cast<std::uint64_t>(pos) >> kPageShift;
  const auto last = (static_cast<std::uint64_t>(pos) + len - 1) >> kPageShift;
  return static_cast<unsigned>(std::min<std::uint64_t>(last - first + 1, max_pages));
}

struct WriteArgs {
  std::vector<Folio*> folios;
  std::vector<std::uint8_t> payload;
  bool folio_locked = false;  // ia->write.folio_locked: the last folio
};

// fuse_fill_write_pages: copy into page-cache folios, up to max_write.
std::uint64_t fuse_fill_write_pages(FuseFile& file, WriteArgs& ia, std::span<const std::uint8_t> src, loff_t pos,
                                    unsigned max_folios) {
  FuseInode& fi = *file.inode;
  const FuseOptions& o = fi.fc->options();
  std::uint64_t offset = static_cast<std::uint64_t>(pos) & (kPageSize - 1);
  std::uint64_t num = std::min<std::uint64_t>(src.size(), o.max_write);
  std::uint64_t count = 0;
  while (num > 0 && ia.folios.size() < max_folios) {
    const pgoff_t index = static_cast<pgoff_t>(pos) >> kPageShift;
    Folio* folio = filemap_get_folio(fi.mapping, index);  // __filemap_get_folio(FGP_WRITEBEGIN)
    if (folio == nullptr) {
      folio = filemap_alloc_and_add_folio(fi.mapping, index, 0);
    } else {
      folio_get(*folio);
      folio_lock(*folio);
    }
    const std::uint64_t folio_offset = ((index - folio->index) << kPageShift) + offset;
    const std::uint64_t bytes = std::min(folio->size() - folio_offset, num);
    std::memcpy(folio->data.data() + folio_offset, src.data() + count, bytes);
    ia.folios.push_back(folio);
    ia.payload.insert(ia.payload.end(), src.begin() + static_cast<long>(count),
                      src.begin() + static_cast<long>(count + bytes));
    count += bytes;
    pos += static_cast<loff_t>(bytes);
    num -= bytes;
    offset += bytes;
    if (offset == folio->size()) offset = 0;
    if (bytes == folio->size()) folio_mark_uptodate(*folio);  // a whole folio copied
    if (!folio_test_uptodate(*folio)) {
      sim::mark(kMarkFuseWriteThroughSplit);
      ia.folio_locked = true;
      break;
    }
    folio_unlock(*folio);
    if (offset != 0) break;  // big_writes: only whole folios continue a WRITE
  }
  return count;
}

// fuse_send_write_pages: the synchronous WRITE of what was gathered.
int fuse_send_write_pages(FuseFile& file, WriteArgs& ia, loff_t pos, std::uint64_t count, std::uint64_t* written) {
  FuseInode& fi = *file.inode;
  for (Folio* f : ia.folios) folio_wait_writeback(*f);
  FuseIn in;
  in.nodeid = fi.nodeid;
  in.offset = pos;
  in.size = count;
  in.flags = file.f_flags;  // fuse_write_flags(iocb)
  FuseConn::Reply reply;
  int err = fi.fc->simple_request(fi, FuseOpcode::write, in, std::move(ia.payload), &reply);
  if (err == 0 && static_cast<std::uint64_t>(reply.out) > count) err = -5;
  *written = err == 0 ? static_cast<std::uint64_t>(reply.out) : 0;
  for (std::size_t i = 0; i < ia.folios.size(); ++i) {
    Folio* f = ia.folios[i];
    if (err != 0) f->flags &= ~(sim::FlagsWord{1} << PG_uptodate);  // folio_clear_uptodate
    if (ia.folio_locked && i + 1 == ia.folios.size()) folio_unlock(*f);
    folio_put(*f);
  }
  return err;
}

std::int64_t fuse_perform_write(FuseFile& file, loff_t pos, std::span<const std::uint8_t> data) {
  FuseInode& fi = *file.inode;
  if (fi.i_size < pos + static_cast<loff_t>(data.size())) fi.size_unstable = true;
  std::uint64_t res = 0;
  int err = 0;
  do {
    const std::span<const std::uint8_t> rest = data.subspan(res);
    const unsigned nr_pages = fuse_wr_pages(pos, rest.size(), fi.fc->options().max_pages);
    WriteArgs ia;
    const std::uint64_t count = fuse_fill_write_pages(file, ia, rest, pos, nr_pages);
    SIM_ASSERT_CMP(count, >, 0u);
    std::uint64_t written = 0;
    err = fuse_send_write_pages(file, ia, pos, count, &written);
    if (err == 0) {
      res += written;
      pos += static_cast<loff_t>(written);
      if (written != count) err = -5;  // a short write ends the loop
    }
  } while (err == 0 && res < data.size());
  fuse_write_update_attr(fi, pos, static_cast<std::int64_t>(res));
  fi.size_unstable = false;
  return res > 0 ? static_cast<std::int64_t>(res) : err;
}

}  // namespace

bool fuse_write_update_attr(FuseInode& fi, loff_t pos, std::int64_t written) {
  bool grew = false;
  if (written > 0 && pos > fi.i_size) {
    fi.i_size = pos;
    grew = true;
  }
  fuse_invalidate_attr_mask(fi, kFuseStatxModsize);
  return grew;
}

std::int64_t fuse_file_write_iter(FuseFile& file, loff_t pos, std::span<const std::uint8_t> data) {
  FuseInode& fi = *file.inode;
  const bool writeback = fi.fc->options().writeback_cache;
  // With the writeback cache: size (EOF optimisation) and mode first.
  if (writeback) {
    if (const int err = fuse_update_get_attr(file, kStatxSize | kStatxMode); err != 0) return err;
  }
  sim::WriteGuard lock(*fi.i_rwsem);
  if (data.empty()) return 0;
  // kiocb_modified: file_update_time; the times reach the server with
  // ->write_inode (time-only SETATTRs, outside the compared view).
  if (writeback) return iomap_file_buffered_write(file, pos, data);
  return fuse_perform_write(file, pos, data);
}

}  // namespace wbsim::model
