// The page-cache side of a local file: buffered read (filemap_read with
// readahead), buffered write (generic_perform_write), the read fault
// (filemap_fault), page_mkwrite and stores through a shared mapping. Each
// path that adds pages goes through its design's coherency hooks.
#include <algorithm>
#include <cstring>

#include "model/dio/local.h"
#include "model/dio/local_internal.h"
#include "model/errno.h"
#include "model/events.h"
#include "model/mm/page_writeback.h"
#include "model/mm/reclaim.h"
#include "model/netfs/internal.h"
#include "sim/assert.h"

namespace wbsim::model {

namespace {

// The netfs design's buffered entry points (netfs_start_io_read/write) and
// the others' inode lock (generic_file_write_iter's inode_lock; reads take
// none).
void buffered_lock(LocalInode& inode, bool write) {
  if (inode.policy == DioPolicy::netfs) {
    const int ret = write ? netfs_start_io_write(inode.vfs) : netfs_start_io_read(inode.vfs);
    SIM_ASSERT_CMP(ret, ==, 0);  // no signals in the model
    MODEL_EVENT(netfs_exclusion(inode.vfs, /*dio=*/false, /*enter=*/true));
  } else if (write) {
    inode.vfs.i_rwsem->down_write();
  }
}

void buffered_unlock(LocalInode& inode, bool write) {
  if (inode.policy == DioPolicy::netfs) {
    MODEL_EVENT(netfs_exclusion(inode.vfs, /*dio=*/false, /*enter=*/false));
    write ? netfs_end_io_write(inode.vfs) : netfs_end_io_read(inode.vfs);
  } else if (write) {
    inode.vfs.i_rwsem->up_write();
  }
}

}  // namespace

void local_set_size(LocalInode& inode, loff_t size) {
  const loff_t old = inode.vfs.i_size;
  if (old == size) return;
  inode.vfs.i_size = size;
  MODEL_EVENT(local_size_changed(inode, old, size));
}

void local_readahead(LocalInode& inode, pgoff_t index, unsigned nr) {
  AddressSpace& mapping = inode.vfs.mapping;
  const loff_t size = inode.vfs.i_size;
  for (pgoff_t i = index; i < index + nr; ++i) {
    if (static_cast<loff_t>(i * kPageSize) >= size && i != index) break;  // no readahead past EOF
    if (filemap_get_folio(mapping, i) != nullptr) continue;
    // A page-cache allocation (GFP_KERNEL: may reclaim first).
    alloc_pages_for_reclaim(*mapping.mm, 1, GFP_KERNEL);
    if (filemap_get_folio(mapping, i) != nullptr) continue;  // added while we reclaimed
    coherency_before_add(inode, i);
    if (filemap_get_folio(mapping, i) != nullptr) continue;  // added while we waited
    Folio* f = filemap_alloc_and_add_folio(mapping, i, 0);
    MODEL_EVENT(local_folio_added(inode, *f));
    // The read owns the folio lock now: its completion unlocks it.
    f->lock_owner = inode.fs->dev().submit_read(inode.disk, f->pos(), f->size(), /*may_fail=*/false,
                                                [f](int, std::vector<std::uint8_t> bytes) {
                                                  std::copy(bytes.begin(), bytes.end(), f->data.begin());
                                                  folio_mark_uptodate(*f);
                                                  folio_unlock(*f);
                                                  folio_put(*f);
                                                });
  }
}

Folio* local_get_uptodate_folio(LocalInode& inode, pgoff_t index, Adder who, int* error) {
  AddressSpace& mapping = inode.vfs.mapping;
  for (;;) {
    if (static_cast<loff_t>(index * kPageSize) >= inode.vfs.i_size) return nullptr;
    Folio* f = filemap_get_folio(mapping, index);
    if (f == nullptr) {
      const int ret = coherency_add_begin(inode, who);
      if (ret < 0) {
        *error = ret;
        return nullptr;
      }
      // page_cache_ra_unbounded (a fault's or a read's) adds pages under
      // the invalidate lock, so truncate and fallocate cannot run meanwhile.
      inode.invalidate_lock->down_read();
      local_readahead(inode, index, inode.fs->options().ra_pages);
      inode.invalidate_lock->up_read();
      coherency_add_end(inode, who);
      continue;
    }
    folio_get(*f);
    if (!folio_test_uptodate(*f)) {
      folio_lock(*f);  // the read in flight holds it
      folio_unlock(*f);
    }
    if (f->mapping != &mapping || !folio_test_uptodate(*f)) {  // truncated or reclaimed meanwhile
      folio_put(*f);
      continue;
    }
    return f;
  }
}

std::vector<std::uint8_t> local_buffered_read(LocalFile& file, loff_t pos, std::uint64_t len, int* error) {
  LocalInode& inode = *file.inode;
  MODEL_EVENT(local_op_begin(inode, LocalOp::buffered_read, pos, len));
  buffered_lock(inode, false);
  std::vector<std::uint8_t> out;
  int ret = 0;
  loff_t at = pos;
  const loff_t end = pos + static_cast<loff_t>(len);
  while (at < end) {
    Folio* f = local_get_uptodate_folio(inode, static_cast<pgoff_t>(at) >> kPageShift, Adder::read, &ret);
    if (f == nullptr) break;
    // filemap_read: i_size is sampled after the folio is uptodate.
    const loff_t stop = std::min({end, inode.vfs.i_size, f->pos() + static_cast<loff_t>(f->size())});
    if (stop > at) out.insert(out.end(), f->data.begin() + (at - f->pos()), f->data.begin() + (stop - f->pos()));
    folio_put(*f);
    if (stop <= at) break;
    at = stop;
  }
  buffered_unlock(inode, false);
  MODEL_EVENT(local_read_data(inode, LocalOp::buffered_read, pos, out));
  MODEL_EVENT(local_op_end(inode, LocalOp::buffered_read, pos, len, ret < 0 ? ret : static_cast<std::int64_t>(out.size())));
  if (error != nullptr) *error = ret;
  return out;
}

void local_copy_into_cache(LocalInode& inode, loff_t pos, const std::vector<std::uint8_t>& data) {
  AddressSpace& mapping = inode.vfs.mapping;
  std::uint64_t done = 0;
  while (done < data.size()) {
    const loff_t at = pos + static_cast<loff_t>(done);
    const pgoff_t index = static_cast<pgoff_t>(at) >> kPageShift;
    Folio* f = filemap_get_folio(mapping, index);
    const std::uint64_t offset = static_cast<std::uint64_t>(at) % kPageSize;
    const std::uint64_t part = std::min(kPageSize - offset, data.size() - done);
    bool fresh = false;
    if (f == nullptr) {
      alloc_pages_for_reclaim(*mapping.mm, 1, GFP_KERNEL);
      if (filemap_get_folio(mapping, index) != nullptr) continue;
      coherency_before_add(inode, index);
      if (filemap_get_folio(mapping, index) != nullptr) continue;
      f = filemap_alloc_and_add_folio(mapping, index, 0);
      MODEL_EVENT(local_folio_added(inode, *f));
      // A partial page within the file is read first (write_begin).
      if ((offset != 0 || part != kPageSize) && f->pos() < inode.vfs.i_size) {
        std::vector<std::uint8_t> bytes;
        inode.fs->dev().read_sync(inode.disk, f->pos(), f->size(), /*may_fail=*/false, &bytes);
        std::copy(bytes.begin(), bytes.end(), f->data.begin());
      }
      fresh = true;
    } else {
      folio_get(*f);
      folio_lock(*f);
      if (f->mapping != &mapping) {  // truncated or reclaimed while we waited
        folio_unlock(*f);
        folio_put(*f);
        continue;
      }
      // Reads here do not fail: a read-in unlocks only an uptodate folio.
      SIM_ASSERT_MSG(folio_test_uptodate(*f), "folio {} in the cache, unlocked and not uptodate", f->index);
    }
    folio_wait_writeback(*f);  // stable pages: the device may be reading it
    std::memcpy(f->data.data() + offset, data.data() + done, part);
    // A new folio is uptodate only once it holds the data (write_end): a
    // reader takes an uptodate folio without its lock.
    if (fresh) folio_mark_uptodate(*f);
    // i_size moves before the folio is unlocked (generic_write_end).
    if (at + static_cast<loff_t>(part) > inode.vfs.i_size) local_set_size(inode, at + static_cast<loff_t>(part));
    folio_mark_dirty(*f);
    folio_unlock(*f);
    folio_put(*f);
    done += part;
    balance_dirty_pages_ratelimited(mapping);
  }
}

std::int64_t local_buffered_write(LocalFile& file, loff_t pos, const std::vector<std::uint8_t>& data) {
  LocalInode& inode = *file.inode;
  MODEL_EVENT(local_op_begin(inode, LocalOp::buffered_write, pos, data.size()));
  buffered_lock(inode, true);
  int ret = coherency_add_begin(inode, Adder::write);
  SIM_ASSERT_CMP(ret, ==, 0);  // only faults are refused
  MODEL_EVENT(local_write_data(inode, LocalOp::buffered_write, pos, data));
  local_copy_into_cache(inode, pos, data);
  coherency_add_end(inode, Adder::write);
  buffered_unlock(inode, true);
  MODEL_EVENT(local_op_end(inode, LocalOp::buffered_write, pos, data.size(), static_cast<std::int64_t>(data.size())));
  return static_cast<std::int64_t>(data.size());
}

int local_fault_read(LocalInode& inode, loff_t pos, std::uint64_t len, std::uint8_t* out) {
  int ret = 0;
  Folio* f = local_get_uptodate_folio(inode, static_cast<pgoff_t>(pos) >> kPageShift, Adder::fault, &ret);
  if (f == nullptr) return ret < 0 ? ret : kEFAULT;  // past EOF: SIGBUS
  std::memcpy(out, f->data.data() + (pos - f->pos()), len);
  folio_put(*f);
  return 0;
}

std::vector<std::uint8_t> local_mmap_read(LocalFile& file, loff_t pos, std::uint64_t len) {
  LocalInode& inode = *file.inode;
  MODEL_EVENT(local_op_begin(inode, LocalOp::mmap_read, pos, len));
  std::vector<std::uint8_t> out;
  loff_t at = pos;
  const loff_t end = pos + static_cast<loff_t>(len);
  while (at < end) {
    const loff_t page_end = std::min<loff_t>(end, (at / static_cast<loff_t>(kPageSize) + 1) * kPageSize);
    std::vector<std::uint8_t> bytes(static_cast<std::size_t>(page_end - at));
    if (local_fault_read(inode, at, bytes.size(), bytes.data()) < 0) break;  // SIGBUS: the load stops
    // Only the bytes below EOF are file data.
    const loff_t keep = std::min(page_end, inode.vfs.i_size);
    if (keep <= at) break;
    out.insert(out.end(), bytes.begin(), bytes.begin() + (keep - at));
    if (keep < page_end) break;
    at = page_end;
  }
  MODEL_EVENT(local_read_data(inode, LocalOp::mmap_read, pos, out));
  MODEL_EVENT(local_op_end(inode, LocalOp::mmap_read, pos, len, static_cast<std::int64_t>(out.size())));
  return out;
}

void local_mmap_write(LocalFile& file, loff_t pos, const std::vector<std::uint8_t>& data) {
  LocalInode& inode = *file.inode;
  AddressSpace& mapping = inode.vfs.mapping;
  MODEL_EVENT(local_op_begin(inode, LocalOp::mmap_write, pos, data.size()));
  std::uint64_t done = 0;
  while (done < data.size()) {
    const loff_t at = pos + static_cast<loff_t>(done);
    const pgoff_t index = static_cast<pgoff_t>(at) >> kPageShift;
    const std::uint64_t offset = static_cast<std::uint64_t>(at) % kPageSize;
    const std::uint64_t part = std::min(kPageSize - offset, data.size() - done);
    if (at >= inode.vfs.i_size) break;  // past EOF: SIGBUS, the rest is lost
    Folio* f = filemap_get_folio(mapping, index);
    const bool pte_writable = f != nullptr && inode.writable_ptes.count(f->id) != 0 && folio_test_uptodate(*f);
    if (!pte_writable) {
      // The read fault, then page_mkwrite (the folio stays locked for the
      // store, VM_FAULT_LOCKED).
      int ret = 0;
      f = local_get_uptodate_folio(inode, index, Adder::fault, &ret);
      if (f == nullptr) break;
      if (coherency_add_begin(inode, Adder::mkwrite) < 0) {
        folio_put(*f);
        break;
      }
      // ext4_page_mkwrite: under the invalidate lock, so a shoot-down,
      // truncate or fallocate shift cannot meet a page dirtied behind it.
      inode.invalidate_lock->down_read();
      folio_lock(*f);
      if (f->mapping != &mapping) {
        folio_unlock(*f);
        folio_put(*f);
        inode.invalidate_lock->up_read();
        coherency_add_end(inode, Adder::mkwrite);
        continue;
      }
      folio_wait_writeback(*f);
      folio_mark_dirty(*f);
      inode.writable_ptes.insert(f->id);
      inode.invalidate_lock->up_read();  // the folio lock keeps the page until the store
      coherency_add_end(inode, Adder::mkwrite);
    } else {
      folio_get(*f);
      folio_lock(*f);  // stands for the pte lock: the store is one step
      // Truncated, reclaimed or cleaned (folio_mkclean) while we waited:
      // the pte is gone, fault again.
      if (f->mapping != &mapping || inode.writable_ptes.count(f->id) == 0) {
        folio_unlock(*f);
        folio_put(*f);
        continue;
      }
      SIM_ASSERT_MSG(folio_test_dirty(*f), "writable pte on clean folio {} (page_mkclean missed it)", f->index);
    }
    const loff_t keep = std::min(at + static_cast<loff_t>(part), inode.vfs.i_size);
    if (keep <= at) {  // EOF moved below the store meanwhile: SIGBUS
      folio_unlock(*f);
      folio_put(*f);
      break;
    }
    const std::span<const std::uint8_t> bytes(data.data() + done, static_cast<std::size_t>(keep - at));
    MODEL_EVENT(local_write_data(inode, LocalOp::mmap_write, at, bytes));
    std::memcpy(f->data.data() + offset, bytes.data(), bytes.size());
    folio_unlock(*f);
    folio_put(*f);
    done += part;
  }
  MODEL_EVENT(local_op_end(inode, LocalOp::mmap_write, pos, data.size(), static_cast<std::int64_t>(done)));
}

}  // namespace wbsim::model
