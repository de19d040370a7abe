// truncate and fallocate on a local file (mm/truncate.c, the filesystems'
// ->setattr and ->fallocate as ext4/xfs do them): inode lock, inode_dio_wait,
// the invalidate lock against faults, write back what moves, drop the cache.
#include <algorithm>
#include <climits>

#include "model/dio/coherency.h"
#include "model/dio/local.h"
#include "model/dio/local_internal.h"
#include "model/errno.h"
#include "model/events.h"
#include "model/mm/page_writeback.h"
#include "model/netfs/internal.h"
#include "sim/assert.h"

namespace wbsim::model {

namespace {

// The locks a size or layout change takes, per design.
void layout_lock(LocalInode& inode) {
  inode.vfs.i_rwsem->down_write();
  // inode_dio_wait: no DIO in flight (ext4/xfs setattr and fallocate).
  inode.vfs.i_dio_wq->wait_event([&] { return inode.vfs.i_dio_count == 0; });
  if (inode.policy == DioPolicy::netfs) {
    sim::clear_bit(NETFS_ICTX_ODIRECT, inode.vfs.flags);  // as netfs_block_o_direct leaves it
    MODEL_EVENT(netfs_exclusion(inode.vfs, /*dio=*/false, /*enter=*/true));
  }
  if (inode.policy == DioPolicy::pagecache_add_lock) pagecache_block_get(inode);  // bch2_truncate
  inode.invalidate_lock->down_write();
}

void layout_unlock(LocalInode& inode) {
  inode.invalidate_lock->up_write();
  if (inode.policy == DioPolicy::pagecache_add_lock) pagecache_block_put(inode, sim::Scheduler::current().current_fiber());
  if (inode.policy == DioPolicy::netfs) MODEL_EVENT(netfs_exclusion(inode.vfs, /*dio=*/false, /*enter=*/false));
  inode.vfs.i_rwsem->up_write();
}

// truncate_inode_folio: a folio locked and out of writeback leaves the
// cache, dirty or not, and the process's pte with it.
void truncate_local_folio(LocalInode& inode, Folio& f) {
  if (folio_test_dirty(f)) {  // folio_cancel_dirty
    sim::clear_bit(PG_dirty, f.flags);
    f.mapping->mm->nr_dirty -= f.nr_pages();
  }
  inode.writable_ptes.erase(f.id);  // unmap_mapping_range
  filemap_remove_folio(f);
}

// Locks the folio at `index` out of writeback and runs `fn` on it if it is
// still in the cache; false if there was none.
template <typename Fn>
bool with_locked_folio(LocalInode& inode, pgoff_t index, Fn fn) {
  Folio* f = filemap_get_folio(inode.vfs.mapping, index);
  if (f == nullptr) return false;
  folio_get(*f);
  folio_lock(*f);
  folio_wait_writeback(*f);  // nobody starts writeback on a folio we hold locked
  if (f->mapping == &inode.vfs.mapping) fn(*f);
  folio_unlock(*f);
  folio_put(*f);
  return true;
}

// truncate_inode_pages_range from `start` on: every folio beginning at or
// after it goes; the one straddling it has its tail zeroed (order-0 folios:
// the page holding `start`).
void truncate_pagecache_from(LocalInode& inode, loff_t start) {
  AddressSpace& mapping = inode.vfs.mapping;
  const pgoff_t first = static_cast<pgoff_t>((start + static_cast<loff_t>(kPageSize) - 1) >> kPageShift);
  for (;;) {
    const auto it = mapping.folios.lower_bound(first);
    if (it == mapping.folios.end()) break;
    with_locked_folio(inode, it->first, [&](Folio& f) { truncate_local_folio(inode, f); });
  }
  if (start % static_cast<loff_t>(kPageSize) != 0) {
    with_locked_folio(inode, static_cast<pgoff_t>(start) >> kPageShift, [&](Folio& f) {
      folio_zero_segment(f, static_cast<std::uint64_t>(start - f.pos()), f.size());
    });
  }
}

}  // namespace

int local_truncate(LocalFile& file, loff_t size) {
  LocalInode& inode = *file.inode;
  MODEL_EVENT(local_op_begin(inode, LocalOp::truncate, size, 0));
  layout_lock(inode);
  const loff_t old = inode.vfs.i_size;
  local_set_size(inode, size);  // truncate_setsize
  if (size < old) {
    truncate_pagecache_from(inode, size);
    if (static_cast<loff_t>(inode.disk.size()) > size) inode.disk.resize(static_cast<std::size_t>(size));  // blocks freed
  }
  layout_unlock(inode);
  MODEL_EVENT(local_op_end(inode, LocalOp::truncate, size, 0, 0));
  return 0;
}

int local_fallocate(LocalFile& file, FallocMode mode, loff_t offset, std::uint64_t len) {
  LocalInode& inode = *file.inode;
  AddressSpace& mapping = inode.vfs.mapping;
  MODEL_EVENT(local_op_begin(inode, LocalOp::fallocate, offset, len));
  SIM_ASSERT(offset % static_cast<loff_t>(kPageSize) == 0 && len % kPageSize == 0);  // block aligned, as ext4 requires for shifts
  layout_lock(inode);
  const loff_t size = inode.vfs.i_size;
  const loff_t end = offset + static_cast<loff_t>(len);
  int ret = 0;
  auto disk_at_least = [&](loff_t n) {
    if (static_cast<loff_t>(inode.disk.size()) < n) inode.disk.resize(static_cast<std::size_t>(n), 0);
  };
  switch (mode) {
    case FallocMode::punch_hole:
    case FallocMode::zero_range: {
      if (offset >= size) break;
      const loff_t stop = std::min(end, size);
      // Write back around the range, then drop its pages; the blocks read zeros.
      ret = filemap_write_and_wait_range(mapping, offset, LLONG_MAX);
      if (ret < 0) break;
      std::vector<std::uint8_t> zeros(static_cast<std::size_t>(stop - offset), 0);
      MODEL_EVENT(local_write_data(inode, LocalOp::fallocate, offset, zeros));
      // truncate_pagecache_range(offset, stop - 1): the pages wholly inside go.
      for (pgoff_t i = static_cast<pgoff_t>(offset) >> kPageShift; i < static_cast<pgoff_t>(stop) >> kPageShift; ++i) {
        with_locked_folio(inode, i, [&](Folio& f) { truncate_local_folio(inode, f); });
      }
      disk_at_least(stop);
      std::fill(inode.disk.begin() + offset, inode.disk.begin() + stop, 0);
      break;
    }
    case FallocMode::insert_range:
    case FallocMode::collapse_range: {
      const bool insert = mode == FallocMode::insert_range;
      if (offset >= size || (!insert && end > size)) {
        ret = -22;  // EINVAL: the range must lie inside the file
        break;
      }
      // ext4_insert_range / ext4_collapse_range: everything from `offset`
      // moves, so it is written back and dropped from the cache first.
      ret = filemap_write_and_wait_range(mapping, offset, LLONG_MAX);
      if (ret < 0) break;
      truncate_pagecache_from(inode, offset);
      disk_at_least(size);
      if (insert) {
        inode.disk.insert(inode.disk.begin() + offset, len, 0);
      } else {
        inode.disk.erase(inode.disk.begin() + offset, inode.disk.begin() + end);
      }
      MODEL_EVENT(local_shifted(inode, insert ? offset : end, insert ? static_cast<std::int64_t>(len) : -static_cast<std::int64_t>(len)));
      local_set_size(inode, insert ? size + static_cast<loff_t>(len) : size - static_cast<loff_t>(len));
      break;
    }
  }
  layout_unlock(inode);
  MODEL_EVENT(local_op_end(inode, LocalOp::fallocate, offset, len, ret));
  return ret;
}

}  // namespace wbsim::model
