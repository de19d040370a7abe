// fsync, truncate and unbuffered writes for a netfs file: the parts of
// fs/netfs/direct_write.c, mm/truncate.c and the filesystems' ->fsync that
// the write path meets.
#include <algorithm>

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

WBSIM_MARK(kMarkTruncateWaitsWriteback, "mm.truncate_waits_writeback", "truncate waited for a folio under writeback");
WBSIM_BUG(kBugDioISizeRace, "netfs-dio-i-size-race", "netfs/dio_extend_concurrent", "i-size",
          "netfs: Fix i_size updating");
WBSIM_MARK(kMarkDioDisablesCache, "netfs.dio_disables_cache", "an unbuffered write stopped the file's cache use");
WBSIM_MARK(kMarkUnbufferedWrite, "netfs.unbuffered_write", "an unbuffered write went through the issuer");

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
    delete p.finfo;
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

// truncate_inode_partial_folio(): zero beyond the new EOF and trim (or
// drop) the streaming record; the folio stays.
void truncate_partial_folio(Folio& f, std::uint64_t keep) {
  std::fill(f.data.begin() + static_cast<long>(keep), f.data.end(), 0);
  if (NetfsFolio* finfo = netfs_folio_info(f)) {
    if (finfo->dirty_offset >= keep) {
      cancel_folio(f);
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
  ictx.i_size = size;
  MODEL_EVENT(i_size_changed(ictx, old, size, true));
  if (size < old) {
    // truncate_pagecache(): folios wholly beyond the new size go; the one
    // straddling it has its tail zeroed. Both wait for writeback first.
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
  RfsInode& rfs = rfs_inode(ictx);
  rfs.server->truncate(rfs.file_id, size);
  ictx.remote_i_size = size;
  MODEL_EVENT(truncate_returned(ictx, size, 0));
  return 0;
}

std::int64_t netfs_unbuffered_write_iter(NetfsFile& file, loff_t pos, const std::vector<std::uint8_t>& data) {
  NetfsInode& ictx = *file.inode;
  sim::ReadGuard inode_lock(*ictx.i_rwsem);  // netfs_start_io_direct
  MODEL_EVENT(write_begin(ictx, pos, data.size(), true));
  mark(kMarkUnbufferedWrite);
  loff_t end = pos + static_cast<loff_t>(data.size());
  // The model encrypts buffered writeback only.
  SIM_ASSERT_MSG(!ictx.content_crypto, "unbuffered writes to an encrypted file are not modelled");
  // kiocb_invalidate_pages: flush and drop cached folios over the range.
  filemap_write_and_wait_range(ictx.mapping, pos, end - 1);
  invalidate_inode_pages2_range(ictx.mapping, static_cast<pgoff_t>(pos) >> kPageShift,
                                static_cast<pgoff_t>(end - 1) >> kPageShift);
  // Raise zero_point: the server will hold data up to here.
  if (end > ictx.zero_point) {
    trace_ev(Ev::zero_point, static_cast<std::uint64_t>(ictx.zero_point), static_cast<std::uint64_t>(end));
    ictx.zero_point = end;
  }
  // fscache_invalidate(FSCACHE_INVAL_DIO_WRITE): the cache stops being used
  // for this file (for the rest of the run, in the model).
  if (ictx.cache_enabled) {
    mark(kMarkDioDisablesCache);
    ictx.cache_enabled = false;
  }
  // Before the fix the "did we extend the file" test was made against the
  // i_size seen before the I/O, and acted on after it without a lock.
  const bool extends_as_sampled = end > ictx.i_size;
  NetfsIoRequest& wreq = netfs_create_write_req(ictx.mapping, pos, NetfsIoOrigin::unbuffered_write);
  wreq.offload_collection = false;  // a synchronous write collects while it waits
  wreq.len = data.size();
  wreq.bounce = data;
  sim::set_bit(NETFS_RREQ_UPLOAD_TO_SERVER, wreq.flags);
  ictx.ops->begin_writeback(wreq);
  netfs_unbuffered_write(wreq, data.size());
  netfs_wait_for_request(wreq);
  // netfs_wait_for_write(): the request's error, else what it transferred
  // (a failure after some progress shows as a short write).
  const int error = wreq.error;
  const std::uint64_t written = wreq.transferred;
  netfs_put_request(wreq);
  // Folios mmap may have brought in over the range meanwhile go too.
  invalidate_inode_pages2_range(ictx.mapping, static_cast<pgoff_t>(pos) >> kPageShift,
                                static_cast<pgoff_t>(end - 1) >> kPageShift);
  // Only bytes that were written extend the file: a write that failed
  // outright must not leave the file longer (with a hole) than before.
  end = pos + static_cast<loff_t>(std::min<std::uint64_t>(written, data.size()));
  // netfs_update_i_size(): test and set under i_lock (no scheduling point
  // between them here), so a concurrent larger extension is never undone.
  const bool extend = sim::bug(kBugDioISizeRace) ? extends_as_sampled : end > ictx.i_size;
  if (written > 0 && extend) {
    trace_ev(Ev::i_size, static_cast<std::uint64_t>(ictx.i_size), static_cast<std::uint64_t>(end));
    const loff_t old = ictx.i_size;
    ictx.i_size = end;
    MODEL_EVENT(i_size_changed(ictx, old, end, false));
  }
  const std::int64_t ret = error != 0 ? error : static_cast<std::int64_t>(written);
  MODEL_EVENT(write_returned(ictx, pos, data, ret, true));
  return ret;
}

}  // namespace wbsim::model
