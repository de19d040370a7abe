// Pin: fs/smb/client/smb2ops.c bb1d93eedc25 and cifsfs.c bb1d93eedc25 (gregkh/linux),
// with dba9f997c9d9 "smb: client: fix race with fallocate(2) and AIO+DIO"
// (v6.18-rc1, which the stored files predate) applied; docs/fidelity.md.
// fallocate's modes and copy_file_range on a netfs file, as cifs does them.
// cifs_fallocate() takes the inode lock and waits for the inode's
// outstanding netfs requests, so i_size holds still across the operation;
// then smb3_punch_hole(), smb3_zero_range(), smb3_collapse_range(),
// smb3_insert_range() or smb3_simple_falloc(). The first four take the
// mapping's invalidate lock (the inode lock holds read(2) off, not a page
// fault, which would read the range back from the server before the
// operation lands) and drop the range's page cache with
// truncate_pagecache_range(), which discards dirty data inside the range
// and zeroes the parts of the folios at its ends, and wait for outstanding
// I/O again. Only collapse and insert, which move bytes, write back first
// (and zero range, where the range reaches the server's EOF). A punched hole
// can so cut the tail of dirty data that would have moved the server's EOF,
// which punch hole then moves itself. Allocation only moves the EOF.
// copy_file_range (cifs_file_copychunk_range(), cifsfs.c) writes its source
// range back, moves the server's EOF past it, and drops its destination
// with filemap_invalidate_inode(). Not modelled: smb2_set_sparse() (the
// server's files are sparse), zero range's -EOPNOTSUPP without a read lease
// (the model's client always holds one), the RPCs inside one operation (the
// server does each operation as one step), the fscache cookie's resize.
#include <algorithm>
#include <optional>

#include "model/backend/rfs.h"
#include "model/events.h"
#include "model/errno.h"
#include "model/mm/truncate.h"
#include "model/netfs/internal.h"
#include "model/netfs/netfs.h"
#include "model/netfs/variants.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/coverage.h"
#include "sim/known_finding.h"
#include "sim/scheduler.h"

namespace wbsim::model {

WBSIM_MARK_IN(kMarkRangeOpDroppedFolios, "netfs.range_op_dropped_folios", "netfs/range_ops_vs_writeback",
           "a server-side range operation dropped cached folios first");
WBSIM_KNOWN_FINDING(kFindingInsertZeroesEofFolio, "netfs-insert-range-zeroes-eof-folio", "data-integrity",
                    "netfs/insert_range_cached_eof",
                    "smb3_insert_range() drops the page cache from the offset to the old EOF with "
                    "truncate_pagecache_range(inode, off, old_eof): the folio holding the old EOF is kept with its "
                    "bytes up to the EOF zeroed, and after the insert the bytes moved there read as zeros "
                    "(docs/findings.md F24)");
WBSIM_KNOWN_FINDING(kFindingPunchEofCutsWriteback, "netfs-punch-hole-eof-cuts-writeback",
                    "ordered-extension,data-integrity,app-contract", "netfs/punch_hole_vs_writeback_past_it",
                    "smb3_punch_hole() sets the server's EOF to the hole's end when dirty data lay past "
                    "remote_i_size; a writeback of data past the hole, which the inode and invalidate locks do not "
                    "hold off, that reached the server first is cut off, its folios already clean, and a later "
                    "copy_file_range whose source crosses the cut fails with -EINVAL (docs/findings.md F25)");
WBSIM_KNOWN_FINDING(kFindingPrecopyLowersRemoteSize, "netfs-precopy-set-eof-lowers-remote-size", "data-integrity",
                    "netfs/copy_range_vs_writeback_past_source",
                    "cifs_precopy_set_eof() notes the server's size as the copy source's end with "
                    "netfs_resize_file(src_end) after its SET_EOF; a writeback past the source that completed "
                    "meanwhile had moved remote_i_size beyond, and zero_point comes down with it, so a clean folio "
                    "past src_end that is reclaimed reads back as zeros (docs/findings.md F26)");
WBSIM_MARK_IN(kMarkPunchHoleMovedEof, "netfs.punch_hole_moved_eof", "netfs/punch_hole_over_dirty_tail",
           "a hole punched over dirty data past the server's EOF moved the server's EOF itself");

namespace {

// truncate_pagecache_range() over bytes [lstart, lend]: the folios wholly
// inside go, dirty or not; the ones at the ends have their part zeroed and
// invalidated. (Unmapping is not modelled: model/mm/truncate.h.)
void truncate_pagecache_range(AddressSpace& mapping, loff_t lstart, loff_t lend) {
  const std::uint64_t before = mapping.nrpages;
  truncate_inode_pages_range(mapping, lstart, lend);
  if (mapping.nrpages != before) sim::mark(kMarkRangeOpDroppedFolios);
}

// i_size_write() and its tracepoint; `truncate` tells the checkers whether
// the application asked for a size that may cut the file.
void i_size_write(NetfsInode& ictx, loff_t size, bool truncate) {
  const loff_t old = ictx.i_size;
  trace_ev(Ev::i_size, static_cast<std::uint64_t>(old), static_cast<std::uint64_t>(size));
  ictx.i_size = size;
  MODEL_EVENT(i_size_changed(ictx, old, size, truncate));
}

// The waits for outstanding requests that dba9f997c9d9 added; the code
// before it (variant::fallocate_unlocked) has none.
void wait_for_outstanding_io(NetfsInode& ictx) {
  if (!variant::fallocate_unlocked()) netfs_wait_for_outstanding_io(ictx);
}

// truncate_setsize(): i_size, then the page cache past it.
void truncate_setsize(NetfsInode& ictx, loff_t size) {
  if (size == ictx.i_size) return;
  i_size_write(ictx, size, true);
  truncate_inode_pages(ictx.mapping, size);
}

// The server's part: 0 or a negative errno.
int server_op(NetfsInode& ictx, RangeOp op, loff_t offset, std::uint64_t len, loff_t dest, bool keep_size) {
  RfsInode& rfs = rfs_inode(ictx);
  return rfs.server->range_op(rfs.file_id, op, offset, len, dest, keep_size);
}

// SMB2_set_eof(): the server's size when it applied it.
std::uint64_t set_eof(NetfsInode& ictx, loff_t size) {
  RfsInode& rfs = rfs_inode(ictx);
  return rfs.server->truncate(rfs.file_id, size);
}

int smb3_punch_hole(NetfsInode& ictx, loff_t offset, std::uint64_t len) {
  AddressSpace& mapping = ictx.mapping;
  const loff_t end = offset + static_cast<loff_t>(len);
  const bool lock = !variant::range_op_leaves_faults_in(RangeOp::punch_hole);
  if (lock) filemap_invalidate_lock(mapping);
  truncate_pagecache_range(mapping, offset, end - 1);
  wait_for_outstanding_io(ictx);
  const int rc = server_op(ictx, RangeOp::punch_hole, offset, len, 0, true);
  if (rc == 0) MODEL_EVENT(range_op_done(ictx, RangeOp::punch_hole, offset, len, 0, true));
  // If there's dirty data in the cache that would extend the EOF if it were
  // written, the EOF moves to the lower of the hole's end and i_size: the
  // hole may have cut the tail of that data, and with it the write that
  // would have moved the EOF there.
  if (rc == 0 && !variant::punch_hole_leaves_eof(ictx)) {
    const loff_t i_size = ictx.i_size;
    const loff_t remote_i_size = ictx.remote_i_size;
    if (end > remote_i_size && i_size > remote_i_size) {
      const loff_t extend_to = std::min(end, i_size);
      // Writeback past the hole holds no lock this holds: a write past
      // extend_to that reached the server before this RPC is cut off by it,
      // its folios already clean (F25).
      if (set_eof(ictx, extend_to) > static_cast<std::uint64_t>(extend_to))
        sim::known_finding_reached(kFindingPunchEofCutsWriteback);
      ictx.remote_i_size = extend_to;
      sim::mark(kMarkPunchHoleMovedEof);
    }
  }
  if (lock) filemap_invalidate_unlock(mapping);
  return rc;
}

int smb3_zero_range(NetfsInode& ictx, loff_t offset, std::uint64_t len, bool keep_size) {
  AddressSpace& mapping = ictx.mapping;
  const loff_t end = offset + static_cast<loff_t>(len);
  filemap_invalidate_lock(mapping);
  int rc = 0;
  const loff_t i_size = ictx.i_size;
  const loff_t remote_size = ictx.remote_i_size;
  if (end >= remote_size && offset < i_size) {
    const loff_t top = std::min(end, i_size);
    rc = filemap_write_and_wait_range(mapping, offset, top - 1);
  }
  if (rc == 0) {
    truncate_pagecache_range(mapping, offset, end - 1);
    wait_for_outstanding_io(ictx);
    rc = server_op(ictx, RangeOp::zero_range, offset, len, 0, true);  // smb3_zero_data(): the size stays
  }
  if (rc == 0) {
    MODEL_EVENT(range_op_done(ictx, RangeOp::zero_range, offset, len, 0, keep_size));
    if (!keep_size && ictx.i_size < end) {
      set_eof(ictx, end);
      truncate_setsize(ictx, end);
      netfs_resize_file(ictx, end, true);
      if (offset < ictx.zero_point) netfs_write_zero_point(ictx, offset);
    }
  }
  filemap_invalidate_unlock(mapping);
  return rc;
}

int smb3_collapse_range(NetfsInode& ictx, loff_t off, std::uint64_t len) {
  AddressSpace& mapping = ictx.mapping;
  const loff_t old_eof = ictx.i_size;
  if (off >= old_eof || off + static_cast<loff_t>(len) >= old_eof) return kEINVAL;
  filemap_invalidate_lock(mapping);
  int rc = filemap_write_and_wait_range(mapping, off, old_eof - 1);
  if (rc == 0) {
    truncate_pagecache_range(mapping, off, old_eof);
    netfs_write_zero_point(ictx, old_eof);
    wait_for_outstanding_io(ictx);
    // smb2_copychunk_range() of everything above the range down to it,
    // then SMB2_set_eof(): one step of the server's.
    rc = server_op(ictx, RangeOp::collapse_range, off, len, 0, false);
  }
  if (rc == 0) {
    MODEL_EVENT(range_op_done(ictx, RangeOp::collapse_range, off, len, 0, false));
    const loff_t new_eof = old_eof - static_cast<loff_t>(len);
    truncate_setsize(ictx, new_eof);
    netfs_resize_file(ictx, new_eof, true);
    netfs_write_zero_point(ictx, new_eof);
  }
  filemap_invalidate_unlock(mapping);
  return rc;
}

int smb3_insert_range(NetfsInode& ictx, loff_t off, std::uint64_t len) {
  AddressSpace& mapping = ictx.mapping;
  const loff_t old_eof = ictx.i_size;
  if (off >= old_eof) return kEINVAL;
  const loff_t new_eof = old_eof + static_cast<loff_t>(len);
  filemap_invalidate_lock(mapping);
  int rc = filemap_write_and_wait_range(mapping, off, new_eof - 1);
  if (rc == 0) {
    truncate_pagecache_range(mapping, off, variant::insert_range_drop_end(ictx, old_eof));
    wait_for_outstanding_io(ictx);
    // The folio holding old_eof stays when it reaches past it, zeroed up to
    // old_eof, and is uptodate: the bytes the insert moves there are never
    // read from the server (F24).
    const Folio* eof = filemap_get_folio(mapping, static_cast<pgoff_t>(old_eof) >> kPageShift);
    if (eof != nullptr && std::max(eof->pos(), off) < old_eof) sim::known_finding_reached(kFindingInsertZeroesEofFolio);
    // SMB2_set_eof(), smb2_copychunk_range() of everything from off up by
    // len, smb3_zero_data() over the gap: one step of the server's.
    rc = server_op(ictx, RangeOp::insert_range, off, len, 0, false);
  }
  if (rc == 0) {
    MODEL_EVENT(range_op_done(ictx, RangeOp::insert_range, off, len, 0, false));
    truncate_setsize(ictx, new_eof);
    netfs_resize_file(ictx, ictx.i_size, true);
    netfs_write_zero_point(ictx, new_eof);
  }
  filemap_invalidate_unlock(mapping);
  return rc;
}

// cifs_setsize() (fs/smb/client/inode.c): i_size, then the page cache past
// it; since dba9f997c9d9 it then waits for outstanding I/O.
void cifs_setsize(NetfsInode& ictx, loff_t offset) {
  // Its one caller here is an allocation, which the application asked to
  // extend the file, never to cut it: not a truncate to the checkers.
  if (offset != ictx.i_size) i_size_write(ictx, offset, false);
  truncate_inode_pages(ictx.mapping, offset);  // truncate_pagecache(); no page tables to unmap
  wait_for_outstanding_io(ictx);
}

// Only the size-changing path does anything the model can see. A file cifs
// created is not sparse, so an allocation inside EOF is a no-op; on a sparse
// file (after a hole punch) smb3_simple_fallocate_range() writes zeros where
// the server reports no allocation, which changes no byte (the model's
// server keeps no allocation map). The copy of smb3_simple_falloc() stored
// at 953e43d94b20 (linux-next) still has cifs_truncate_page() and
// truncate_setsize() after cifs_setsize(), which a later stored copy drops
// as superfluous; the model has neither.
int smb3_simple_falloc(NetfsInode& ictx, loff_t off, std::uint64_t len, bool keep_size) {
  const loff_t new_eof = off + static_cast<loff_t>(len);
  if (!keep_size && ictx.i_size < new_eof) {
    // inode_newsize_ok(): no size limit in the model. SMB2_set_eof().
    set_eof(ictx, new_eof);
    MODEL_EVENT(range_op_done(ictx, RangeOp::allocate, off, len, 0, keep_size));
    netfs_resize_file(ictx, new_eof, true);
    cifs_setsize(ictx, new_eof);
    return 0;
  }
  MODEL_EVENT(range_op_done(ictx, RangeOp::allocate, off, len, 0, keep_size));
  return 0;
}

// cifs_precopy_set_eof() (cifsfs.c): the server-side copy fails if the
// source crosses the server's EOF, so the EOF moves, to i_size (what the
// kernel sends), while remote_i_size is noted as the source's end.
int cifs_precopy_set_eof(NetfsInode& ictx, loff_t src_end) {
  set_eof(ictx, ictx.i_size);  // find_writable_file() finds the caller's file
  // Writeback past the source holds no lock this holds: one that completed
  // while SET_EOF was on the wire has moved remote_i_size past src_end, and
  // netfs_resize_file() brings it and zero_point back down below data the
  // server holds; such a folio, once reclaimed, reads back as zeros (F26).
  if (ictx.remote_i_size > src_end) sim::known_finding_reached(kFindingPrecopyLowersRemoteSize);
  netfs_resize_file(ictx, src_end, true);
  return 0;
}

// cifs_file_copychunk_range() (cifsfs.c), source and destination one file
// (lock_two_nondirectories() takes its one inode lock: the caller's).
int cifs_file_copychunk_range(NetfsInode& ictx, loff_t off, std::uint64_t len, loff_t destoff) {
  AddressSpace& mapping = ictx.mapping;
  const loff_t src_end = off + static_cast<loff_t>(len);
  int rc = filemap_write_and_wait_range(mapping, off, src_end - 1);
  if (rc != 0) return rc;
  if (ictx.remote_i_size < src_end) {
    rc = cifs_precopy_set_eof(ictx, src_end);
    if (rc < 0) return rc;
  }
  // Flush and invalidate the destination's folios: the copy may fail.
  rc = filemap_invalidate_inode(mapping, destoff, destoff + static_cast<loff_t>(len) - 1);
  if (rc != 0) return rc;
  rc = server_op(ictx, RangeOp::copy_range, off, len, destoff, false);  // ->copychunk_range()
  if (rc < 0) return rc;
  MODEL_EVENT(range_op_done(ictx, RangeOp::copy_range, off, len, destoff, false));
  const loff_t dest_end = destoff + static_cast<loff_t>(len);  // the server copies all of it
  if (dest_end > ictx.i_size) {
    truncate_setsize(ictx, dest_end);
    netfs_resize_file(ictx, ictx.i_size, true);
  }
  if (dest_end > ictx.zero_point) netfs_write_zero_point(ictx, dest_end);
  return 0;
}

// smb3_fallocate(): the mode's operation.
int smb3_fallocate(NetfsInode& ictx, RangeOp op, loff_t offset, std::uint64_t len, bool keep_size) {
  switch (op) {
    case RangeOp::punch_hole: return smb3_punch_hole(ictx, offset, len);
    case RangeOp::zero_range: return smb3_zero_range(ictx, offset, len, keep_size);
    case RangeOp::collapse_range: return smb3_collapse_range(ictx, offset, len);
    case RangeOp::insert_range: return smb3_insert_range(ictx, offset, len);
    case RangeOp::allocate: return smb3_simple_falloc(ictx, offset, len, keep_size);
    case RangeOp::copy_range: break;
  }
  return kEINVAL;
}

// cifs_fallocate() (cifsfs.c) since dba9f997c9d9: under the inode lock,
// with no request of the inode's in flight (an AIO+DIO extending the file
// completes first), so i_size holds still for the whole operation. Before
// it (variant::fallocate_unlocked) each mode but allocation took the inode
// lock itself and none waited.
int cifs_fallocate(NetfsInode& ictx, RangeOp op, loff_t offset, std::uint64_t len, bool keep_size) {
  const bool unlocked = variant::fallocate_unlocked();
  std::optional<sim::WriteGuard> inode_lock;
  if (!unlocked || op != RangeOp::allocate) inode_lock.emplace(*ictx.i_rwsem);
  MODEL_EVENT(range_op_begin(ictx, op, offset, len));
  if (!unlocked) netfs_wait_for_outstanding_io(ictx);
  // file_modified(): timestamps only.
  return smb3_fallocate(ictx, op, offset, len, keep_size);
}

int cifs_copy_file_range(NetfsInode& ictx, loff_t off, std::uint64_t len, loff_t destoff) {
  sim::WriteGuard inode_lock(*ictx.i_rwsem);  // lock_two_nondirectories()
  MODEL_EVENT(range_op_begin(ictx, RangeOp::copy_range, off, len));
  return cifs_file_copychunk_range(ictx, off, len, destoff);
}

}  // namespace

int netfs_range_op(NetfsFile& file, RangeOp op, loff_t offset, std::uint64_t len, loff_t dest, bool keep_size) {
  NetfsInode& ictx = *file.inode;
  const int ret = op == RangeOp::copy_range ? cifs_copy_file_range(ictx, offset, len, dest)
                                            : cifs_fallocate(ictx, op, offset, len, keep_size);
  MODEL_EVENT(range_op_returned(*file.inode, op, offset, len, ret));
  return ret;
}

}  // namespace wbsim::model
