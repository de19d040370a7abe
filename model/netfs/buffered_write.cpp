// Buffered writes into the page cache (fs/netfs/buffered_write.c:
// netfs_perform_write), with streaming writes into folios that are not
// uptodate, zero_point, write groups, and writethrough.
#include <algorithm>
#include <cstring>

#include "model/backend/rfs.h"
#include "model/events.h"
#include "model/netfs/internal.h"
#include "model/netfs/marks.h"
#include "model/netfs/netfs.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/bug_switch.h"
#include "sim/scheduler.h"

namespace wbsim::model {

WBSIM_MARK(kMarkStreamingWrite, "netfs.streaming_write", "a partial write into a folio that is not uptodate");
WBSIM_MARK(kMarkStreamingCont, "netfs.streaming_write_cont", "a streaming write extended the dirty range");
WBSIM_MARK(kMarkFlushIncompatible, "netfs.flush_incompatible",
           "a write flushed a folio first (discontiguous streaming data or another group)");
WBSIM_MARK(kMarkModifyAndClear, "netfs.modify_and_clear", "a write above zero_point cleared the folio first");
WBSIM_MARK(kMarkWritethrough, "netfs.writethrough", "a write went through the page cache to the server");

WBSIM_BUG(kBugWritethroughAppendNoFlush, "netfs-writethrough-append-no-preflush", "netfs/writethrough_append",
          "folio-state", "netfs: Fix the pre-flush when appending to a file in writethrough mode");

namespace {

unsigned order_for(const WriteOptions& o, std::uint64_t len_left) {
  if (o.random_orders) return sim::draw(o.max_folio_order + 1);
  unsigned order = 0;
  while (order < o.max_folio_order && (kPageSize << (order + 1)) <= len_left) ++order;
  return order;
}

// Flush one folio's range to the server and wait (netfs_flush_incompatible).
void flush_folio(NetfsInode& ictx, Folio& folio) {
  mark(kMarkFlushIncompatible);
  const loff_t start = folio.pos();
  const loff_t end = start + static_cast<loff_t>(folio.size()) - 1;
  folio_unlock(folio);
  filemap_write_and_wait_range(ictx.mapping, start, end);
  folio_lock(folio);
}

void netfs_update_i_size(NetfsInode& ictx, loff_t end) {
  if (end <= ictx.i_size) return;
  trace_ev(Ev::i_size, static_cast<std::uint64_t>(ictx.i_size), static_cast<std::uint64_t>(end));
  const loff_t old = ictx.i_size;
  ictx.i_size = end;
  MODEL_EVENT(i_size_changed(ictx, old, end, false));
}

// netfs_perform_write(), called with the inode locked.
std::int64_t netfs_perform_write(NetfsFile& file, loff_t pos, const std::vector<std::uint8_t>& data,
                                 const WriteOptions& options) {
  NetfsInode& ictx = *file.inode;
  AddressSpace& mapping = ictx.mapping;

  NetfsIoRequest* wreq = nullptr;
  Folio* writethrough_cache = nullptr;
  WritebackControl wbc;
  if (options.writethrough) {
    mark(kMarkWritethrough);
    // Flush what is already dirty in the range first, appends included:
    // the partial EOF folio may be under background writeback, and
    // writethrough must not start writeback on it a second time.
    if (!(sim::bug(kBugWritethroughAppendNoFlush) && pos >= ictx.i_size))
      filemap_write_and_wait_range(mapping, pos, pos + static_cast<loff_t>(data.size()) - 1);
    wreq = &netfs_begin_writethrough(ictx, pos);
  }

  std::uint64_t done = 0;
  while (done < data.size()) {
    const loff_t at = pos + static_cast<loff_t>(done);
    const pgoff_t index = static_cast<pgoff_t>(at) >> kPageShift;
    Folio* folio = filemap_get_folio(mapping, index);
    if (folio == nullptr) {
      folio = filemap_alloc_and_add_folio(mapping, index, order_for(options, data.size() - done));
    } else {
      folio_get(*folio);
      folio_lock(*folio);
      if (folio->mapping != &mapping) {  // truncated while we slept
        folio_unlock(*folio);
        folio_put(*folio);
        continue;
      }
    }
    // The writeback engine owns folio->private until writeback ends.
    if (folio_test_writeback(*folio) && folio->priv.kind != FolioPrivate::Kind::none) {
      folio_unlock(*folio);
      folio_wait_writeback(*folio);
      folio_put(*folio);
      continue;
    }
    // Data of another group must be flushed before this group writes here.
    const NetfsGroup* fgroup = netfs_folio_group(*folio);
    if (folio_test_dirty(*folio) && folio->priv.kind != FolioPrivate::Kind::copy_to_cache &&
        fgroup != options.group) {
      flush_folio(ictx, *folio);
      folio_unlock(*folio);
      folio_put(*folio);
      continue;
    }
    const loff_t fpos = folio->pos();
    const std::uint64_t fsize = folio->size();
    const std::uint64_t offset = static_cast<std::uint64_t>(at - fpos);
    const std::uint64_t part = std::min(fsize - offset, data.size() - done);
    NetfsFolio* finfo = netfs_folio_info(*folio);

    if (folio_test_uptodate(*folio)) {
      // NETFS_WHOLE_FOLIO_MODIFY / JUST_PREFETCH: plain modification.
    } else if (offset == 0 && part == fsize) {
      // NETFS_WHOLE_FOLIO_MODIFY of a non-uptodate folio: it becomes whole.
      if (finfo != nullptr) {
        folio_detach_private(*folio);
        delete finfo;
        finfo = nullptr;
      }
      folio_mark_uptodate(*folio);
    } else if (fpos >= ictx.zero_point) {
      // NETFS_MODIFY_AND_CLEAR: nothing on the server here; clear and fill.
      mark(kMarkModifyAndClear);
      if (finfo != nullptr) {
        folio_detach_private(*folio);
        delete finfo;
        finfo = nullptr;
      }
      std::fill(folio->data.begin(), folio->data.end(), 0);
      folio_mark_uptodate(*folio);
    } else if (finfo == nullptr && folio->priv.kind == FolioPrivate::Kind::none) {
      // NETFS_STREAMING_WRITE: remember just the dirty bytes.
      mark(kMarkStreamingWrite);
      finfo = new NetfsFolio{options.group, static_cast<std::uint32_t>(offset), static_cast<std::uint32_t>(part)};
      if (options.group != nullptr) ++options.group->ref;
      folio_attach_private(*folio, {FolioPrivate::Kind::streaming, nullptr, finfo});
    } else if (finfo != nullptr && offset <= finfo->dirty_offset + finfo->dirty_len &&
               offset + part >= finfo->dirty_offset) {
      // NETFS_STREAMING_WRITE_CONT: contiguous with or overlapping the record.
      mark(kMarkStreamingCont);
      const std::uint64_t lo = std::min<std::uint64_t>(offset, finfo->dirty_offset);
      const std::uint64_t hi = std::max<std::uint64_t>(offset + part, finfo->dirty_offset + finfo->dirty_len);
      finfo->dirty_offset = static_cast<std::uint32_t>(lo);
      finfo->dirty_len = static_cast<std::uint32_t>(hi - lo);
    } else {
      // NETFS_FLUSH_CONTENT: cannot describe two dirty ranges; write the
      // folio back first, then start over on it.
      flush_folio(ictx, *folio);
      folio_unlock(*folio);
      folio_put(*folio);
      continue;
    }
    std::memcpy(folio->data.data() + offset, data.data() + done, part);
    MODEL_EVENT(data_stored(ictx, at, std::span(data).subspan(done, part)));
    if (finfo != nullptr && finfo->dirty_offset == 0 && finfo->dirty_len == fsize) {
      // The streaming record now covers the whole folio: it is uptodate.
      folio_detach_private(*folio);
      if (finfo->netfs_group != nullptr) folio_attach_private(*folio, {FolioPrivate::Kind::group, finfo->netfs_group, nullptr});
      delete finfo;
      folio_mark_uptodate(*folio);
    }
    // The modification must be uploaded: it is no longer copy-to-cache data,
    // and a group takes the mark's place (netfs_set_group).
    if (folio->priv.kind == FolioPrivate::Kind::copy_to_cache) folio_detach_private(*folio);
    if (options.group != nullptr && folio->priv.kind == FolioPrivate::Kind::none) {
      ++options.group->ref;
      folio_attach_private(*folio, {FolioPrivate::Kind::group, options.group, nullptr});
    }
    netfs_update_i_size(ictx, at + static_cast<loff_t>(part));

    if (wreq != nullptr) {
      netfs_advance_writethrough(*wreq, wbc, *folio, part, offset + part >= fsize, &writethrough_cache);
      if (writethrough_cache == nullptr) {
        folio_put(*folio);
        done += part;
        continue;  // netfs_write_folio unlocked it
      }
    } else {
      folio_mark_dirty(*folio);
    }
    if (writethrough_cache != folio) folio_unlock(*folio);
    folio_put(*folio);
    done += part;
    if (wreq == nullptr) balance_dirty_pages_ratelimited(mapping);
  }
  if (wreq != nullptr) {
    // netfs_end_writethrough writes the cached partial folio, which is
    // still locked from the copy, and waits for the request.
    const std::int64_t ret = netfs_end_writethrough(*wreq, wbc, writethrough_cache);
    if (ret < 0) return ret;
    // An asynchronous kiocb completes with the request's count
    // (ki_complete); a synchronous write returns what it copied.
    if (options.aio) return ret;
  }
  return static_cast<std::int64_t>(done);
}

}  // namespace

std::int64_t netfs_file_write(NetfsFile& file, loff_t pos, const std::vector<std::uint8_t>& data,
                              const WriteOptions& options) {
  NetfsInode& ictx = *file.inode;
  sim::WriteGuard inode_lock(*ictx.i_rwsem);
  MODEL_EVENT(write_begin(ictx, pos, data.size(), false));
  const std::int64_t ret = netfs_perform_write(file, pos, data, options);
  MODEL_EVENT(write_returned(ictx, pos, data, ret, false));
  return ret;
}

}  // namespace wbsim::model
