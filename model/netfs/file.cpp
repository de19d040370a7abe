// Pin: no netfs file (the filesystems' ->fsync and ->setattr) (gregkh/linux, 2026; docs/fidelity.md).
// fsync and truncate for a netfs file: the filesystems' ->fsync and
// ->setattr as the write path meets them; the page cache's part of a
// truncate is model/mm/truncate.cpp's.
#include "model/errno.h"
#include "model/events.h"
#include "model/netfs/internal.h"
#include "model/mm/truncate.h"
#include "model/netfs/marks.h"
#include "model/netfs/netfs.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/scheduler.h"

namespace wbsim::model {

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
    // size: folios wholly beyond it go, the one straddling it has its tail
    // zeroed and invalidated (a store through a mapping past EOF too).
    truncate_inode_pages(mapping, size);
    if (ictx.zero_point > size) netfs_write_zero_point(ictx, size);
  }
  ictx.ops->setattr_size(ictx, size);
  ictx.remote_i_size = size;
  MODEL_EVENT(truncate_returned(ictx, size, 0));
  return 0;
}

}  // namespace wbsim::model
