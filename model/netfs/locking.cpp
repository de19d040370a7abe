// Pin: fs/netfs/locking.c at 4e58a012d988 (gregkh/linux, 2026; docs/fidelity.md).
// The inode lock's I/O modes: buffered reads and writes exclude direct I/O
// through NETFS_ICTX_ODIRECT, while each mode runs concurrently under a
// shared i_rwsem. Switching mode takes i_rwsem exclusive, then downgrades.
//
// The model has no signals: down_read_interruptible, down_write_killable and
// inode_dio_wait_interruptible never fail, so -ERESTARTSYS never comes back.
// It has no page tables either: unmap_mapping_range() has nothing to unmap.
#include <climits>

#include "model/mm/page_writeback.h"
#include "model/netfs/internal.h"
#include "sim/assert.h"

namespace wbsim::model {

namespace {

// inode_dio_wait_interruptible(): wait for outstanding DIO requests to
// finish. Called under i_rwsem held exclusive, which serialises taking new
// references to i_dio_count.
int inode_dio_wait_interruptible(NetfsInode& ictx) {
  if (ictx.i_dio_count == 0) return 0;
  ictx.i_dio_wq->wait_event([&] { return ictx.i_dio_count == 0; });
  return 0;
}

// Call with exclusively locked inode->i_rwsem.
int netfs_block_o_direct(NetfsInode& ictx) {
  SIM_ASSERT(ictx.i_rwsem->write_locked());
  if (!sim::test_bit(NETFS_ICTX_ODIRECT, ictx.flags)) return 0;
  sim::clear_bit(NETFS_ICTX_ODIRECT, ictx.flags);
  return inode_dio_wait_interruptible(ictx);
}

// Call with exclusively locked inode->i_rwsem.
int netfs_block_buffered(NetfsInode& ictx) {
  SIM_ASSERT(ictx.i_rwsem->write_locked());
  if (!sim::test_bit(NETFS_ICTX_ODIRECT, ictx.flags)) {
    sim::set_bit(NETFS_ICTX_ODIRECT, ictx.flags);
    if (ictx.mapping.nrpages != 0) {
      // unmap_mapping_range(inode->i_mapping, 0, 0, 0): nothing mapped.
      const int ret = filemap_fdatawait_range(ictx.mapping, 0, LLONG_MAX);  // filemap_fdatawait
      if (ret < 0) {
        sim::clear_bit(NETFS_ICTX_ODIRECT, ictx.flags);
        return ret;
      }
    }
  }
  return 0;
}

}  // namespace

int netfs_start_io_read(NetfsInode& ictx) {
  // Be an optimist!
  ictx.i_rwsem->down_read();
  if (!sim::test_bit(NETFS_ICTX_ODIRECT, ictx.flags)) return 0;
  ictx.i_rwsem->up_read();

  // Slow path....
  ictx.i_rwsem->down_write();
  if (netfs_block_o_direct(ictx) < 0) {
    ictx.i_rwsem->up_write();
    return kERESTARTSYS;
  }
  ictx.i_rwsem->downgrade_write();
  return 0;
}

void netfs_end_io_read(NetfsInode& ictx) { ictx.i_rwsem->up_read(); }

int netfs_start_io_write(NetfsInode& ictx) {
  ictx.i_rwsem->down_write();
  if (netfs_block_o_direct(ictx) < 0) {
    ictx.i_rwsem->up_write();
    return kERESTARTSYS;
  }
  ictx.i_rwsem->downgrade_write();
  return 0;
}

void netfs_end_io_write(NetfsInode& ictx) { ictx.i_rwsem->up_read(); }

int netfs_start_io_direct(NetfsInode& ictx) {
  // Be an optimist!
  ictx.i_rwsem->down_read();
  if (sim::test_bit(NETFS_ICTX_ODIRECT, ictx.flags)) return 0;
  ictx.i_rwsem->up_read();

  // Slow path....
  ictx.i_rwsem->down_write();
  const int ret = netfs_block_buffered(ictx);
  if (ret < 0) {
    ictx.i_rwsem->up_write();
    return ret;
  }
  ictx.i_rwsem->downgrade_write();
  return 0;
}

void netfs_end_io_direct(NetfsInode& ictx) { ictx.i_rwsem->up_read(); }

}  // namespace wbsim::model
