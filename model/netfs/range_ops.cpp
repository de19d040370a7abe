// Pin: no netfs file (the filesystems' ->fallocate, ->copy_file_range) (gregkh/linux, 2026; docs/fidelity.md).
// fallocate's modes and copy_file_range on a netfs file, as the network
// filesystems do them (cifs's smb3_fallocate/smb3_*_range, nfs42_proc_*):
// the server carries the operation out; the client first writes back and
// waits for the page cache over every byte whose meaning the server will
// change, and drops those folios, so neither a dirty folio nor a write in
// flight can land on the server after the operation with pre-operation
// data or position. Taken under the inode lock, exclusive, as truncate is,
// and for the modes that drop folios over bytes the server then changes,
// under the mapping's invalidate lock too (smb3_punch_hole,
// smb3_zero_range, smb3_collapse_range, smb3_insert_range): the inode lock
// holds read(2) off, not a page fault, which would read the range back from
// the server before the operation lands. copy_file_range drops its
// destination with filemap_invalidate_inode() (cifs_file_copychunk_range),
// which takes the lock around the drop only.
#include <algorithm>

#include "model/backend/rfs.h"
#include "model/events.h"
#include "model/netfs/internal.h"
#include "model/netfs/netfs.h"
#include "model/netfs/variants.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/coverage.h"
#include "sim/scheduler.h"

namespace wbsim::model {

WBSIM_MARK_IN(kMarkRangeOpDroppedFolios, "netfs.range_op_dropped_folios", "netfs/range_ops_vs_writeback",
           "a server-side range operation wrote back and dropped cached folios first");

namespace {

// Write back, wait for and drop the folios over bytes [from, to).
int flush_and_drop(AddressSpace& mapping, loff_t from, loff_t to) {
  if (to <= from) return 0;
  const int err = filemap_write_and_wait_range(mapping, from, to - 1);
  if (err != 0) return err;
  const std::uint64_t before = mapping.nrpages;
  const int busy = invalidate_inode_pages2_range(mapping, static_cast<pgoff_t>(from) >> kPageShift,
                                                 static_cast<pgoff_t>(to - 1) >> kPageShift);
  SIM_ASSERT_MSG(busy == 0, "{} folios over {}..{} stayed dirty under the inode lock", busy, from, to);
  if (mapping.nrpages != before) sim::mark(kMarkRangeOpDroppedFolios);
  return 0;
}

// The size the file has after `op`, from its size before (the server's copy
// may be shorter while extending writes are still dirty in the cache).
loff_t size_after(RangeOp op, loff_t size, loff_t offset, std::uint64_t len, loff_t dest, bool keep_size) {
  const loff_t end = offset + static_cast<loff_t>(len);
  switch (op) {
    case RangeOp::allocate:
    case RangeOp::zero_range: return keep_size ? size : std::max(size, end);
    case RangeOp::punch_hole: return size;
    case RangeOp::collapse_range: return size - static_cast<loff_t>(len);
    case RangeOp::insert_range: return size + static_cast<loff_t>(len);
    case RangeOp::copy_range: return std::max(size, dest + static_cast<loff_t>(len));
  }
  return size;
}

int range_op_invalidate_locked(NetfsFile& file, RangeOp op, loff_t offset, std::uint64_t len, loff_t dest,
                               bool keep_size);

// The operation under the inode lock: 0 or a negative errno.
int range_op_locked(NetfsFile& file, RangeOp op, loff_t offset, std::uint64_t len, loff_t dest, bool keep_size) {
  NetfsInode& ictx = *file.inode;
  AddressSpace& mapping = ictx.mapping;
  sim::WriteGuard inode_lock(*ictx.i_rwsem);
  const bool block_faults = op != RangeOp::allocate && op != RangeOp::copy_range &&
                            !variant::range_op_leaves_faults_in(op);
  if (block_faults) filemap_invalidate_lock(mapping);
  const int ret = range_op_invalidate_locked(file, op, offset, len, dest, keep_size);
  if (block_faults) filemap_invalidate_unlock(mapping);
  return ret;
}

// The rest, under the invalidate lock where the mode takes it.
int range_op_invalidate_locked(NetfsFile& file, RangeOp op, loff_t offset, std::uint64_t len, loff_t dest,
                               bool keep_size) {
  NetfsInode& ictx = *file.inode;
  AddressSpace& mapping = ictx.mapping;
  const loff_t end = offset + static_cast<loff_t>(len);
  int err = 0;
  switch (op) {
    case RangeOp::allocate:
      break;  // no byte changes meaning
    case RangeOp::punch_hole:
    case RangeOp::zero_range:
      err = flush_and_drop(mapping, offset, end);
      break;
    case RangeOp::collapse_range:
    case RangeOp::insert_range:
      // Everything from offset up moves.
      err = flush_and_drop(mapping, offset, std::max(ictx.i_size, end));
      break;
    case RangeOp::copy_range:
      // The server reads the source as the page cache has it, so it must
      // hold the source and reach at least its end: everything from the
      // source up is written back (a dirty extending write further up may
      // be what makes the source lie below EOF). The destination's cached
      // bytes become stale.
      err = filemap_write_and_wait_range(mapping, offset, std::max(ictx.i_size, end) - 1);
      if (err == 0) {
        filemap_invalidate_lock(mapping);
        err = flush_and_drop(mapping, dest, dest + static_cast<loff_t>(len));
        filemap_invalidate_unlock(mapping);
      }
      break;
  }
  if (err != 0) return err;
  RfsInode& rfs = rfs_inode(ictx);
  err = rfs.server->range_op(rfs.file_id, op, offset, len, dest, keep_size);
  if (err != 0) return err;
  MODEL_EVENT(range_op_done(ictx, op, offset, len, dest, keep_size));
  const loff_t old = ictx.i_size;
  const loff_t size = size_after(op, old, offset, len, dest, keep_size);
  if (size != old) {
    trace_ev(Ev::i_size, static_cast<std::uint64_t>(old),
                                    static_cast<std::uint64_t>(size));
    ictx.i_size = size;
    // A shrink is a truncate of the folios past the new end; they were
    // dropped above (collapse drops everything from offset up).
    MODEL_EVENT(i_size_changed(ictx, old, size, true));
  }
  const auto server_size = static_cast<loff_t>(rfs.server->file(rfs.file_id).data.size());
  ictx.remote_i_size = server_size;
  // The server may now hold data anywhere below its size.
  if (ictx.zero_point != server_size) netfs_write_zero_point(ictx, server_size);
  return 0;
}

}  // namespace

int netfs_range_op(NetfsFile& file, RangeOp op, loff_t offset, std::uint64_t len, loff_t dest, bool keep_size) {
  const int ret = range_op_locked(file, op, offset, len, dest, keep_size);
  MODEL_EVENT(range_op_returned(*file.inode, op, offset, len, ret));
  return ret;
}

}  // namespace wbsim::model
