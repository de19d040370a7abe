// Pin: no netfs file (mm/truncate.c, the filesystems' ->fsync and ->setattr) (gregkh/linux, 2026; docs/fidelity.md).
// fsync and truncate for a netfs file: the parts of mm/truncate.c and the
// filesystems' ->fsync and ->setattr that the write path meets.
#include <algorithm>

#include "model/errno.h"
#include "model/events.h"
#include "model/netfs/internal.h"
#include "model/netfs/marks.h"
#include "model/netfs/netfs.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/known_finding.h"
#include "sim/scheduler.h"

namespace wbsim::model {

WBSIM_MARK(kMarkTruncateWaitsWriteback, "mm.truncate_waits_writeback", "truncate waited for a folio under writeback");

WBSIM_KNOWN_FINDING(kFindingTruncateErasesStreamingRecord, "netfs-truncate-erases-streaming-record",
                    "data-integrity,folio-state", "netfs/truncate_into_streaming_folio",
                    "a truncate at or before a dirty streaming record's start erases the record but leaves the folio "
                    "dirty: writeback sends its never-read head as data");

namespace {

// folio_cancel_dirty + netfs_invalidate_folio: drop a folio's dirty state
// and netfs private data because truncate is discarding it.
void cancel_folio(Folio& folio) {
  if (folio_test_dirty(folio)) {
    sim::clear_bit(PG_dirty, folio.flags);
    folio.mapping->mm->nr_dirty -= folio.nr_pages();
  }
  FolioPrivate p = folio_detach_private(folio);
  if (p.kind == FolioPrivate::Kind::streaming) {
    netfs_put_group(p.finfo->netfs_group);
    netfs_free_folio_info(p.finfo);
  } else if (p.kind == FolioPrivate::Kind::group) {
    netfs_put_group(p.group);
  }
}

// Takes a reference and the lock on a folio that is not under writeback;
// false (nothing held) if it had to wait for writeback first: look again.
bool lock_folio_out_of_writeback(Folio& f) {
  folio_get(f);
  folio_lock(f);
  if (f.mapping != nullptr && folio_test_writeback(f)) {
    mark(kMarkTruncateWaitsWriteback);
    folio_unlock(f);
    folio_wait_writeback(f);
    folio_put(f);
    return false;
  }
  return true;
}

// truncate_inode_partial_folio(): zero beyond the new EOF, then
// folio_invalidate() -> netfs_invalidate_folio() over [keep, end): a
// streaming record wholly past the cut is erased completely (group put,
// private detached, PG_uptodate cleared, record freed) and one reaching
// past it trimmed. The folio stays, and stays dirty: neither function
// touches PG_dirty.
void truncate_partial_folio(Folio& f, std::uint64_t keep) {
  std::fill(f.data.begin() + static_cast<long>(keep), f.data.end(), 0);
  if (NetfsFolio* finfo = netfs_folio_info(f)) {
    if (finfo->dirty_offset >= keep) {
      // erase_completely. A dirty folio is left dirty, not uptodate and
      // without its record: writeback then sends [0, keep) as data, bytes
      // that were never read (docs/findings.md F16).
      if (folio_test_dirty(f)) sim::known_finding_reached(kFindingTruncateErasesStreamingRecord);
      FolioPrivate p = folio_detach_private(f);
      netfs_put_group(p.finfo->netfs_group);
      sim::clear_bit(PG_uptodate, f.flags);
      netfs_free_folio_info(p.finfo);
    } else {
      finfo->dirty_len =
          static_cast<std::uint32_t>(std::min<std::uint64_t>(finfo->dirty_len, keep - finfo->dirty_offset));
    }
  }
}

}  // namespace

int netfs_fsync(NetfsFile& file) { return netfs_fsync_range(file, 0, INT64_MAX); }

int netfs_fsync_range(NetfsFile& file, loff_t start, loff_t end) {
  AddressSpace& mapping = file.inode->mapping;
  MODEL_EVENT(fsync_begin(*file.inode));
  // file_write_and_wait_range(): write, wait, then the error this open file
  // has not seen yet, reported once.
  int err = filemap_fdatawrite_range(mapping, start, end, SyncMode::all);
  if (err != kEIO) filemap_fdatawait_range(mapping, start, end);
  const int err2 = file_check_and_advance_wb_err(mapping, &file.f_wb_err);
  const int ret = err != 0 ? err : err2;
  MODEL_EVENT(fsync_returned(*file.inode, ret, start, end));
  return ret;
}

int netfs_truncate(NetfsFile& file, loff_t size) {
  NetfsInode& ictx = *file.inode;
  AddressSpace& mapping = ictx.mapping;
  sim::WriteGuard inode_lock(*ictx.i_rwsem);
  const loff_t old = ictx.i_size;
  trace_ev(Ev::i_size, static_cast<std::uint64_t>(old), static_cast<std::uint64_t>(size));
  // A size grown by setattr exposes what a mapping stored past the old EOF
  // in its page as F4's extending write does: truncate_setsize() ->
  // pagecache_isize_extended() returns before it zeroes anything when the
  // block size is at least PAGE_SIZE, as on every netfs filesystem.
  if (size > old) netfs_note_post_eof_exposure(ictx, old, size);
  ictx.i_size = size;
  MODEL_EVENT(i_size_changed(ictx, old, size, true));
  {
    // truncate_pagecache(), which truncate_setsize() calls whatever the new
    // size: folios wholly beyond it go; the one straddling it has its tail
    // zeroed (a store through a mapping past EOF too). Both wait for
    // writeback first.
    for (;;) {
      auto it = std::find_if(mapping.folios.begin(), mapping.folios.end(),
                             [&](const auto& e) { return e.second->pos() >= size; });
      if (it == mapping.folios.end()) break;
      Folio& f = *it->second;
      if (!lock_folio_out_of_writeback(f)) continue;
      if (f.mapping == &mapping) {
        cancel_folio(f);
        filemap_remove_folio(f);  // under the folio lock, as truncate_inode_folio
        folio_unlock(f);
      } else {
        folio_unlock(f);
      }
      folio_put(f);
    }
    for (;;) {
      Folio* straddle = filemap_get_folio(mapping, static_cast<pgoff_t>(size) >> kPageShift);
      if (straddle == nullptr || straddle->pos() >= size) break;
      Folio& f = *straddle;
      if (!lock_folio_out_of_writeback(f)) continue;
      if (f.mapping == &mapping) truncate_partial_folio(f, static_cast<std::uint64_t>(size - f.pos()));
      folio_unlock(f);
      folio_put(f);
      break;
    }
    if (ictx.zero_point > size) {
      trace_ev(Ev::zero_point, static_cast<std::uint64_t>(ictx.zero_point), static_cast<std::uint64_t>(size));
      ictx.zero_point = size;
    }
  }
  ictx.ops->setattr_size(ictx, size);
  ictx.remote_i_size = size;
  MODEL_EVENT(truncate_returned(ictx, size, 0));
  return 0;
}

}  // namespace wbsim::model
