// Pin: fs/netfs/buffered_read.c at 8a8c0cfdf465 with ded0c6f16060 (2026; docs/fidelity.md).
// Buffered reads (fs/netfs/buffered_read.c, reduced) under mm/filemap.c's
// filemap_read and mm/readahead.c's window (model/mm/readahead.cpp): a
// missing folio is brought in by synchronous readahead, a readahead marker
// starts the next window (with larger folios where the mapping allows
// them), and a folio still not uptodate is read by ->read_folio. With a
// cache, folios read from the server are marked for copying to the cache
// (dirty, with folio->private = NETFS_FOLIO_COPY_TO_CACHE), as the read
// collector does when it sees data that came from the server.
//
// A dirty streaming folio is read around its dirty range (netfs_read_gaps).
// Simplified: each folio is read whole by one synchronous RPC in the
// reader's fiber (no read requests or subrequests, no collector, no read
// from the cache), so an asynchronous readahead window is read before the
// read goes on (docs/model.md).
#include <algorithm>
#include <cstring>
#include <memory>

#include "model/errno.h"
#include "model/events.h"
#include "model/mm/readahead.h"
#include "model/netfs/internal.h"
#include "model/netfs/marks.h"
#include "model/netfs/netfs.h"
#include "model/netfs/trace.h"
#include "model/netfs/variants.h"
#include "sim/assert.h"
#include "sim/known_finding.h"

namespace wbsim::model {

WBSIM_MARK(kMarkReadMarksCopyToCache, "netfs.read_copy_to_cache", "a folio read from the server was marked for the cache");
WBSIM_MARK(kMarkReadahead, "netfs.readahead", "netfs_readahead read a batch of new folios");
WBSIM_MARK(kMarkAsyncReadahead, "netfs.async_readahead", "a buffered read reached a readahead marker");

WBSIM_MARK(kMarkReadZeroFill, "netfs.read_zero_fill", "a read filled bytes past zero_point with zeros");

namespace {

// The bytes of [pos, pos + len) a read brings in: from the server below
// zero_point (and i_size), zeros past it (NETFS_FILL_WITH_ZEROES), decrypted
// on a content_crypto inode.
void netfs_read_range(NetfsInode& ictx, Folio& folio, std::uint64_t from, std::uint64_t to) {
  // The part is the folio's: the kernel reads into a bvec of the folio, which
  // cannot run past it.
  SIM_ASSERT_MSG(from <= to && to <= folio.size(), "read of bytes {}..{} of folio {} of {} bytes", from, to,
                 folio.index, folio.size());
  const loff_t zp = std::min(ictx.zero_point, ictx.i_size);
  const loff_t start = folio.pos() + static_cast<loff_t>(from);
  const std::uint64_t from_server =
      zp <= start ? 0 : std::min<std::uint64_t>(to - from, static_cast<std::uint64_t>(zp - start));
  if (from_server < to - from) mark(kMarkReadZeroFill);
  const auto bytes = from_server == 0 ? std::vector<std::uint8_t>{} : ictx.ops->issue_read(ictx, start, from_server);
  folio_zero_segment(folio, from, to);
  // std::copy, not memcpy: `bytes` is empty (its data() may be null) when
  // the whole range lies past zero_point.
  std::copy(bytes.begin(), bytes.end(), folio.data.begin() + static_cast<long>(from));
  if (ictx.content_crypto) {
    for (std::size_t i = 0; i < bytes.size(); ++i)
      folio.data[from + i] = netfs_decrypt_byte(folio.data[from + i], start + static_cast<loff_t>(i));
  }
}

// The end of netfs_unlock_read_folio() (read_collect.c): a streaming record
// the read has filled around goes (trace filled_gaps), its group kept.
void netfs_drop_filled_record(Folio& folio) {
  NetfsFolio* finfo = netfs_folio_info(folio);
  if (finfo == nullptr) return;
  // Owned before it leaves the folio: a checker may end the run at the
  // change of private data (folio-state, under writeback), and the fiber
  // is then unwound from inside it; the record is nobody's after that.
  const std::unique_ptr<NetfsFolio> owned(finfo);
  trace_netfs_folio(folio, NetfsFolioTrace::netfs_folio_trace_filled_gaps);
  if (finfo->netfs_group != nullptr)
    folio_change_private(folio, {FolioPrivate::Kind::group, finfo->netfs_group, nullptr});
  else
    folio_detach_private(folio);
}

// netfs_read_gaps(): read into the gaps of a folio partially filled by a
// streaming write, leaving the dirty range alone; the folio becomes uptodate
// and (since "the same leak through read gaps" was fixed) loses its record.
void netfs_read_gaps(NetfsInode& ictx, Folio& folio) {
  const NetfsFolio* finfo = netfs_folio_info(folio);
  const std::uint64_t from = finfo->dirty_offset;
  const std::uint64_t to = from + finfo->dirty_len;
  const std::uint64_t flen = folio.size();
  trace_netfs_folio(folio, NetfsFolioTrace::netfs_folio_trace_read_gaps);
  if (from > 0) netfs_read_range(ictx, folio, 0, from);
  if (to < flen) netfs_read_range(ictx, folio, to, flen);
  folio_mark_uptodate(folio);
  netfs_drop_filled_record(folio);
}

// The whole folio (netfs_read_range over all of it); then what
// netfs_unlock_read_folio() does before the unlock: uptodate, a filled
// record dropped, and with a cache the folio marked for copying to it.
void netfs_read_whole_folio(NetfsInode& ictx, Folio& folio) {
  netfs_read_range(ictx, folio, 0, folio.size());
  folio_mark_uptodate(folio);
  netfs_drop_filled_record(folio);
  if (ictx.cache_enabled && folio.priv.kind == FolioPrivate::Kind::none && !folio_test_dirty(folio)) {
    mark(kMarkReadMarksCopyToCache);
    folio_attach_private(folio, {FolioPrivate::Kind::copy_to_cache, nullptr, nullptr});
    folio_mark_dirty(folio);
  }
}

// netfs_readahead(): a NETFS_READAHEAD request over readahead's batch of
// new, locked folios; each is unlocked as the collector would unlock it
// (netfs_read_unlock_folios) and readahead's reference dropped.
void netfs_readahead(NetfsInode& ictx, std::vector<Folio*>& batch) {
  mark(kMarkReadahead);
  for (Folio* folio : batch) {
    netfs_read_whole_folio(ictx, *folio);
    folio_unlock(*folio);
    folio_put(*folio);
  }
}

}  // namespace

ReadaheadControl netfs_ractl(NetfsFile& file) {
  NetfsInode& ictx = *file.inode;
  return ReadaheadControl{.mapping = ictx.mapping,
                          .ra = file.ra,
                          .i_size = ictx.i_size,
                          .max_order = ictx.mapping.max_folio_order,
                          .readahead = [&ictx](std::vector<Folio*>& batch) { netfs_readahead(ictx, batch); }};
}

namespace {

// The body of netfs_read_folio() after its wait: a dirty streaming folio has
// its gaps read, any other folio is read whole.
void netfs_fill_folio(NetfsInode& ictx, Folio& folio) {
  SIM_ASSERT(folio_test_locked(folio));
  // Handle someone trying to read from an unflushed streaming write.
  if (folio_test_dirty(folio) && netfs_folio_info(folio) != nullptr) {
    netfs_read_gaps(ictx, folio);
    return;
  }
  // A streaming record on a folio that is not dirty is one under writeback:
  // only a kernel without ded0c6f16060's wait reads it here, whole, over the
  // bytes being written (docs/findings.md, H2).
  netfs_read_whole_folio(ictx, folio);
}

}  // namespace

void netfs_read_folio(NetfsInode& ictx, Folio& folio) {
  SIM_ASSERT(folio_test_locked(folio));
  // "netfs: Fix netfs_read_folio() to wait on writeback" (ded0c6f16060): the
  // dirty flag and folio->private can be trusted only once writeback has
  // ended (the collector may clean up private before it clears writeback).
  if (!variant::read_folio_skips_writeback_wait()) folio_wait_writeback(folio);
  netfs_fill_folio(ictx, folio);
}

int netfs_prefetch_for_write(NetfsFile& file, Folio& folio, std::uint64_t offset, std::uint64_t len) {
  // A NETFS_READ_FOR_WRITE request over the whole folio, which stays
  // locked (NETFS_RREQ_NO_UNLOCK_FOLIO); it does not wait for writeback.
  (void)offset;
  (void)len;
  netfs_fill_folio(*file.inode, folio);
  return 0;
}

std::vector<std::uint8_t> netfs_file_read(NetfsFile& file, loff_t pos, std::uint64_t len) {
  NetfsInode& ictx = *file.inode;
  AddressSpace& mapping = ictx.mapping;
  // netfs_file_read_iter(): O_DIRECT or an unbuffered inode bypasses the cache.
  if ((file.f_iocb_flags & IOCB_DIRECT) || ictx.unbuffered) {
    std::vector<std::uint8_t> out;
    netfs_unbuffered_read_call(file, pos, len, out, file.f_iocb_flags, /*aio=*/false);
    return out;
  }
  // No signals in the model, so netfs_start_io_read() cannot fail.
  const int locked = netfs_start_io_read(ictx);
  SIM_ASSERT_CMP(locked, ==, 0);
  MODEL_EVENT(netfs_exclusion(ictx, /*dio=*/false, /*enter=*/true));
  MODEL_EVENT(read_begin(ictx));
  if (pos >= ictx.i_size) {
    MODEL_EVENT(read_returned(ictx, pos, {}));
    MODEL_EVENT(netfs_exclusion(ictx, /*dio=*/false, /*enter=*/false));
    netfs_end_io_read(ictx);
    return {};
  }
  len = std::min<std::uint64_t>(len, static_cast<std::uint64_t>(ictx.i_size - pos));
  std::vector<std::uint8_t> out(len, 0);
  std::uint64_t done = 0;
  // filemap_read(): filemap_get_pages() for each folio, then the copy.
  while (done < len) {
    const loff_t at = pos + static_cast<loff_t>(done);
    const pgoff_t index = static_cast<pgoff_t>(at) >> kPageShift;
    const pgoff_t last_index = (static_cast<std::uint64_t>(pos) + len + kPageSize - 1) >> kPageShift;
    Folio* folio = filemap_get_folio(mapping, index);
    if (folio == nullptr) {
      ReadaheadControl ractl = netfs_ractl(file);
      page_cache_sync_ra(ractl, index, last_index - index);
      folio = filemap_get_folio(mapping, index);
    }
    if (folio == nullptr) {
      // filemap_create_folio(): an order-0 folio read under its lock.
      folio = filemap_alloc_and_add_folio(mapping, index, 0);
      netfs_read_folio(ictx, *folio);
    } else {
      // The batch holds a reference (folio_try_get) before readahead can
      // sleep; a marker starts the next window.
      folio_get(*folio);
      if (folio->test(PG_readahead)) {
        mark(kMarkAsyncReadahead);
        ReadaheadControl ractl = netfs_ractl(file);
        page_cache_async_ra(ractl, *folio, last_index - folio->index);
      }
      // The model copies under the folio lock (filemap_update_page() takes
      // it only for a folio not uptodate).
      folio_lock(*folio);
      if (folio->mapping != &mapping) {
        folio_unlock(*folio);
        folio_put(*folio);
        continue;
      }
      if (!folio_test_uptodate(*folio)) netfs_read_folio(ictx, *folio);
    }
    const std::uint64_t offset = static_cast<std::uint64_t>(at - folio->pos());
    const std::uint64_t part = std::min(folio->size() - offset, len - done);
    std::memcpy(out.data() + done, folio->data.data() + offset, part);
    folio_unlock(*folio);
    folio_put(*folio);
    done += part;
  }
  file.ra.prev_pos = pos + static_cast<loff_t>(done);
  MODEL_EVENT(read_returned(ictx, pos, out));
  MODEL_EVENT(netfs_exclusion(ictx, /*dio=*/false, /*enter=*/false));
  netfs_end_io_read(ictx);
  return out;
}

}  // namespace wbsim::model
