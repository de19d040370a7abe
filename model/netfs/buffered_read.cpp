// Pin: fs/netfs/buffered_read.c at 8a8c0cfdf465 (gregkh/linux, 2026; docs/fidelity.md).
// Buffered reads (fs/netfs/buffered_read.c, reduced): a folio that is not
// uptodate is read from the server whole; with a cache, folios read from the
// server are marked for copying to the cache (dirty, with
// folio->private = NETFS_FOLIO_COPY_TO_CACHE), as netfs does when the read
// collector sees data that came from the server.
//
// Simplified: a fixed readahead window of order-0 folios after each
// synchronous read; no read from the cache; a streaming folio is written back before it is
// read (the kernel can fill the gaps around the dirty range instead).
#include <algorithm>
#include <cstring>

#include "model/errno.h"
#include "model/events.h"
#include "model/netfs/internal.h"
#include "model/netfs/marks.h"
#include "model/netfs/netfs.h"
#include "sim/assert.h"

namespace wbsim::model {

WBSIM_MARK(kMarkReadMarksCopyToCache, "netfs.read_copy_to_cache", "a folio read from the server was marked for the cache");
WBSIM_MARK(kMarkReadahead, "netfs.readahead", "a read brought in folios ahead of the one asked for");

// Pages read ahead of a synchronous read (a fixed window; the kernel's
// ondemand readahead grows and shrinks it).
constexpr pgoff_t kReadaheadPages = 4;

WBSIM_MARK(kMarkReadZeroFill, "netfs.read_zero_fill", "a read filled bytes past zero_point with zeros");

namespace {

void netfs_read_folio(NetfsInode& ictx, Folio& folio) {
  SIM_ASSERT(folio_test_locked(folio));
  // Past zero_point the server is assumed to hold nothing: that part is
  // filled with zeros, not read (NETFS_FILL_WITH_ZEROES).
  const loff_t zp = std::min(ictx.zero_point, ictx.i_size);
  const std::uint64_t from_server =
      zp <= folio.pos() ? 0 : std::min<std::uint64_t>(folio.size(), static_cast<std::uint64_t>(zp - folio.pos()));
  if (from_server < folio.size()) mark(kMarkReadZeroFill);
  const auto bytes = from_server == 0 ? std::vector<std::uint8_t>{}
                                      : ictx.ops->issue_read(ictx, folio.pos(), from_server);
  std::fill(folio.data.begin(), folio.data.end(), 0);
  std::memcpy(folio.data.data(), bytes.data(), bytes.size());
  if (ictx.content_crypto) {
    for (std::size_t i = 0; i < bytes.size(); ++i)
      folio.data[i] = netfs_decrypt_byte(folio.data[i], folio.pos() + static_cast<loff_t>(i));
  }
  folio_mark_uptodate(folio);
  if (ictx.cache_enabled && folio.priv.kind == FolioPrivate::Kind::none && !folio_test_dirty(folio)) {
    mark(kMarkReadMarksCopyToCache);
    folio_attach_private(folio, {FolioPrivate::Kind::copy_to_cache, nullptr, nullptr});
    folio_mark_dirty(folio);
  }
}

// netfs_readahead(): bring in the missing pages after `index`, below EOF,
// each as an order-0 folio read from the server (and marked for the cache).
void netfs_readahead(NetfsInode& ictx, pgoff_t index) {
  AddressSpace& mapping = ictx.mapping;
  const pgoff_t eof_index = (static_cast<pgoff_t>(ictx.i_size) + kPageSize - 1) >> kPageShift;
  for (pgoff_t i = index; i < index + kReadaheadPages && i < eof_index; ++i) {
    if (filemap_get_folio(mapping, i) != nullptr) break;  // stop at what is cached
    mark(kMarkReadahead);
    Folio* folio = filemap_alloc_and_add_folio(mapping, i, 0);
    netfs_read_folio(ictx, *folio);
    folio_unlock(*folio);
    folio_put(*folio);
  }
}

}  // namespace

int netfs_prefetch_for_write(NetfsFile& file, Folio& folio, std::uint64_t offset, std::uint64_t len) {
  // A NETFS_READ_FOR_WRITE request over the whole folio, which stays
  // locked (NETFS_RREQ_NO_UNLOCK_FOLIO).
  (void)offset;
  (void)len;
  netfs_read_folio(*file.inode, folio);
  return 0;
}

bool netfs_release_folio(Folio& folio) {
  NetfsInode& ictx = netfs_inode(*folio.mapping);
  if (folio_test_dirty(folio)) return false;
  const loff_t end = std::min(folio.pos() + static_cast<loff_t>(folio.size()), ictx.i_size);
  if (end > ictx.zero_point) ictx.zero_point = end;
  return !folio.test(PG_private);
}

std::vector<std::uint8_t> netfs_file_read(NetfsFile& file, loff_t pos, std::uint64_t len) {
  NetfsInode& ictx = *file.inode;
  AddressSpace& mapping = ictx.mapping;
  // netfs_start_io_read: shared in the kernel; the model's lock is exclusive.
  sim::WriteGuard inode_lock(*ictx.i_rwsem);
  MODEL_EVENT(read_begin(ictx));
  if (pos >= ictx.i_size) {
    MODEL_EVENT(read_returned(ictx, pos, {}));
    return {};
  }
  len = std::min<std::uint64_t>(len, static_cast<std::uint64_t>(ictx.i_size - pos));
  std::vector<std::uint8_t> out(len, 0);
  std::uint64_t done = 0;
  while (done < len) {
    const loff_t at = pos + static_cast<loff_t>(done);
    const pgoff_t index = static_cast<pgoff_t>(at) >> kPageShift;
    Folio* folio = filemap_get_folio(mapping, index);
    if (folio == nullptr) {
      folio = filemap_alloc_and_add_folio(mapping, index, 0);
    } else {
      folio_get(*folio);
      folio_lock(*folio);
      if (folio->mapping != &mapping) {
        folio_unlock(*folio);
        folio_put(*folio);
        continue;
      }
    }
    if (!folio_test_uptodate(*folio) && netfs_folio_info(*folio) != nullptr) {
      // Write the streaming data back so the server holds all of it.
      const loff_t s = folio->pos();
      folio_unlock(*folio);
      filemap_write_and_wait_range(mapping, s, s + static_cast<loff_t>(folio->size()) - 1);
      folio_put(*folio);
      continue;
    }
    // A folio read synchronously starts readahead of the ones after it.
    pgoff_t readahead_from = 0;
    if (!folio_test_uptodate(*folio)) {
      netfs_read_folio(ictx, *folio);
      readahead_from = folio->index + folio->nr_pages();
    }
    const std::uint64_t offset = static_cast<std::uint64_t>(at - folio->pos());
    const std::uint64_t part = std::min(folio->size() - offset, len - done);
    std::memcpy(out.data() + done, folio->data.data() + offset, part);
    folio_unlock(*folio);
    folio_put(*folio);
    done += part;
    if (readahead_from != 0) netfs_readahead(ictx, readahead_from);
  }
  MODEL_EVENT(read_returned(ictx, pos, out));
  return out;
}

}  // namespace wbsim::model
