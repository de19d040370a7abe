// Pin: fs/netfs/buffered_write.c (netfs_page_mkwrite) at 0969ea8370ba (gregkh/linux, 2026; docs/fidelity.md).
// Writes through a shared mapping: the fault path and ->page_mkwrite
// (fs/netfs/buffered_write.c: netfs_page_mkwrite), and msync.
//
// Simplified: the "mapping" is implicit (a store names a file range); the
// folio stays locked from page_mkwrite's VM_FAULT_LOCKED through
// fault_dirty_shared_page's folio_mark_dirty until the store is done (the
// kernel unlocks before the store lands); no PTE dirty tracking.
#include <algorithm>
#include <cstring>

#include "model/errno.h"
#include "model/events.h"
#include "model/mm/truncate.h"
#include "model/netfs/internal.h"
#include "model/netfs/marks.h"
#include "model/netfs/netfs.h"
#include "model/netfs/trace.h"
#include "sim/assert.h"
#include "sim/known_finding.h"

namespace wbsim::model {

WBSIM_MARK(kMarkMkwriteWaitedWriteback, "netfs.page_mkwrite_waited_writeback",
           "page_mkwrite waited for writeback before letting a store in");
WBSIM_MARK_IN(kMarkFaultFolioMoved, "netfs.fault_folio_moved", "netfs/*",
              "a fault locked a folio that was dropped while it waited and looked again");
WBSIM_MARK_IN(kMarkFaultSigbusCached, "netfs.fault_sigbus_cached", "netfs/fault_vs_truncate_eof",
              "a fault that looked again found an uptodate folio wholly past a lowered EOF: SIGBUS");
WBSIM_MARK(kMarkMkwriteFlushedGroup, "netfs.page_mkwrite_flushed_group",
           "page_mkwrite flushed a folio of another group and returned VM_FAULT_RETRY");

WBSIM_KNOWN_FINDING(kFindingMkwriteRetryIgnored, "netfs-page-mkwrite-retry-ignored", "write-group",
                    "netfs/mkwrite_over_other_group",
                    "netfs_page_mkwrite flushes a folio of another group and returns VM_FAULT_RETRY, which "
                    "do_page_mkwrite does not act on: the store lands in the folio under the other group");

namespace {

// What ->page_mkwrite returns, as do_page_mkwrite() tells them apart.
enum class Fault : std::uint8_t {
  locked,     // VM_FAULT_LOCKED
  nopage,     // VM_FAULT_NOPAGE: the folio left the mapping; the access faults again
  not_locked, // none of LOCKED, NOPAGE or an error: netfs's VM_FAULT_RETRY
  error,      // VM_FAULT_SIGBUS or VM_FAULT_OOM: the store is lost
};

// netfs_page_mkwrite(): returns with the folio locked (VM_FAULT_LOCKED), or
// unlocked with NOPAGE, RETRY (after flushing another group's folio) or an
// error. Kernel-mirroring: its goto labels are the kernel's.
Fault netfs_page_mkwrite(NetfsInode& ictx, Folio& folio, NetfsGroup* netfs_group) {
  AddressSpace& mapping = ictx.mapping;
  Fault ret = Fault::nopage;
  NetfsGroup* group = nullptr;
  folio_lock(folio);
  if (folio.mapping != &mapping) goto unlock;
  if (folio_test_writeback(folio)) {
    mark(kMarkMkwriteWaitedWriteback);
    folio_wait_writeback(folio);
  }
  // Can we see a streaming write here? WARN_ON and SIGBUS: the fault path
  // read the folio, so never.
  SIM_ASSERT_MSG(folio_test_uptodate(folio), "page_mkwrite on folio {} that is not uptodate (SIGBUS)", folio.index);
  group = netfs_folio_group(folio);  // null for NETFS_FOLIO_COPY_TO_CACHE in the model
  if (group != nullptr && group != netfs_group) {
    mark(kMarkMkwriteFlushedGroup);
    folio_unlock(folio);
    // folio_next_pos() as the inclusive end: the next folio's first byte too.
    const int err = filemap_fdatawrite_range(mapping, folio.pos(), folio.pos() + static_cast<loff_t>(folio.size()),
                                             SyncMode::all);
    // 0: VM_FAULT_RETRY; -ENOMEM: VM_FAULT_OOM; anything else: VM_FAULT_SIGBUS.
    return err == 0 ? Fault::not_locked : Fault::error;
  }
  trace_netfs_folio(folio, folio_test_dirty(folio) ? NetfsFolioTrace::netfs_folio_trace_mkwrite_plus
                                                   : NetfsFolioTrace::netfs_folio_trace_mkwrite);
  if (!(folio.priv.kind == FolioPrivate::Kind::none && netfs_group == nullptr) &&
      !(folio.priv.kind == FolioPrivate::Kind::group && folio.priv.group == netfs_group)) {  // priv != netfs_group
    if (netfs_group == nullptr && folio.priv.kind == FolioPrivate::Kind::copy_to_cache) {
      folio_detach_private(folio);
    } else if (netfs_group != nullptr && folio.priv.kind == FolioPrivate::Kind::copy_to_cache) {
      folio_detach_private(folio);  // folio_change_private
      ++netfs_group->ref;
      folio_attach_private(folio, {FolioPrivate::Kind::group, netfs_group, nullptr});
    } else if (netfs_group != nullptr && folio.priv.kind == FolioPrivate::Kind::none) {
      ++netfs_group->ref;
      folio_attach_private(folio, {FolioPrivate::Kind::group, netfs_group, nullptr});
    } else {
      SIM_ASSERT_MSG(false, "WARN_ON_ONCE: page_mkwrite on folio {} with private {} under group {}", folio.index,
                     static_cast<int>(folio.priv.kind), netfs_group != nullptr ? netfs_group->id : 0);
    }
  }
  return Fault::locked;
unlock:
  folio_unlock(folio);
  return ret;
}

// do_page_mkwrite(), as wp_page_shared() and do_shared_fault() act on it:
// store with the folio locked, fault again, or lose the store.
enum class Mkwrite : std::uint8_t { store, refault, lost };
Mkwrite do_page_mkwrite(NetfsInode& ictx, Folio& folio, NetfsGroup* group) {
  switch (netfs_page_mkwrite(ictx, folio, group)) {
    case Fault::locked: return Mkwrite::store;
    case Fault::nopage: return Mkwrite::refault;
    case Fault::error: return Mkwrite::lost;
    case Fault::not_locked: break;
  }
  // VM_FAULT_RETRY is none of the codes do_page_mkwrite() acts on: it locks
  // the folio and, if it is still mapped, goes on as if ->page_mkwrite had
  // returned it locked (wp_page_shared() drops the code). The store lands in
  // the folio it just flushed, whose private data still names the other
  // group (docs/findings.md F17).
  folio_lock(folio);
  if (folio.mapping == nullptr) {
    folio_unlock(folio);
    return Mkwrite::refault;  // "return 0; /* retry */"
  }
  if (netfs_folio_group(folio) != group) sim::known_finding_reached(kFindingMkwriteRetryIgnored);
  return Mkwrite::store;
}

// The read fault (filemap_fault): the folio covering `pos`, uptodate,
// referenced, unlocked. A missing or stale folio is read with ->read_folio
// (filemap_read_folio) under its folio lock and the mapping's invalidate
// lock, shared: a fault takes no inode lock, so it is not held off by a
// write or a direct I/O in progress the way read(2) is (netfs_start_io_read),
// but it is held off by a hole punch between its drop and the server's
// change (filemap_fault's "See comment in filemap_create_folio() why we need
// invalidate_lock"). The caller has checked EOF; i_size is checked again
// once the folio is locked and read, as filemap_fault() does ("We must
// recheck i_size under page lock"): a truncate may have lowered it
// meanwhile, and a page wholly past it is SIGBUS (null here).
//
// Simplified: a folio found moved drops the invalidate lock before it looks
// again (the kernel keeps it across retry_find).
Folio* fault_in(NetfsFile& file, loff_t pos) {
  NetfsInode& ictx = *file.inode;
  AddressSpace& mapping = ictx.mapping;
  MODEL_EVENT(mapped_fault(ictx, pos));
  auto past_eof = [&](pgoff_t index) {
    return static_cast<loff_t>(index) >= (ictx.i_size + static_cast<loff_t>(kPageSize) - 1) >> kPageShift;
  };
  // Unlocks and drops a folio found moved, and the invalidate lock.
  auto moved = [&](Folio* folio) {
    mark(kMarkFaultFolioMoved);
    folio_unlock(*folio);
    folio_put(*folio);
    filemap_invalidate_unlock_shared(mapping);
  };
  for (;;) {
    const pgoff_t index = static_cast<pgoff_t>(pos) >> kPageShift;
    Folio* folio = filemap_get_folio(mapping, index);
    if (folio == nullptr) {
      // No page in the page cache at all: read around it first.
      ReadaheadControl ractl = netfs_ractl(file);
      do_sync_mmap_readahead(ractl, index);
      folio = filemap_get_folio(mapping, index);
    }
    if (folio == nullptr) {
      filemap_invalidate_lock_shared(mapping);
      folio = filemap_get_folio(mapping, index);  // added while we waited for the lock?
      if (folio == nullptr) {
        folio = filemap_alloc_and_add_folio(mapping, index, 0);  // locked, referenced
      } else {
        folio_get(*folio);
        folio_lock(*folio);
        if (folio->mapping != &mapping) {
          moved(folio);
          continue;
        }
      }
    } else {
      folio_get(*folio);
      // Async readahead before waiting for the lock; it may sleep, and the
      // folio may leave the mapping meanwhile.
      ReadaheadControl ractl = netfs_ractl(file);
      do_async_mmap_readahead(ractl, *folio);
      if (folio->mapping != &mapping) {
        mark(kMarkFaultFolioMoved);
        folio_put(*folio);
        continue;
      }
      if (folio_test_uptodate(*folio)) {
        if (!past_eof(index)) return folio;
        mark(kMarkFaultSigbusCached);
        folio_put(*folio);
        return nullptr;
      }
      filemap_invalidate_lock_shared(mapping);  // it is to be read
      folio_lock(*folio);
      if (folio->mapping != &mapping) {  // truncated or invalidated meanwhile
        moved(folio);
        continue;
      }
    }
    if (!folio_test_uptodate(*folio)) netfs_read_folio(ictx, *folio);
    filemap_invalidate_unlock_shared(mapping);
    if (past_eof(index)) {
      folio_unlock(*folio);
      folio_put(*folio);
      return nullptr;
    }
    folio_unlock(*folio);
    return folio;
  }
}

}  // namespace

void netfs_mmap_write(NetfsFile& file, loff_t pos, const std::vector<std::uint8_t>& data, NetfsGroup* group) {
  NetfsInode& ictx = *file.inode;
  MODEL_EVENT(mapped_access(ictx, pos, data.size(), true));
  std::uint64_t done = 0;
  while (done < data.size()) {
    const loff_t at = pos + static_cast<loff_t>(done);
    if (at >= ictx.i_size) break;  // beyond EOF: SIGBUS, the store is lost
    Folio* folio = fault_in(file, at);
    if (folio == nullptr) break;  // SIGBUS: a truncate took the page away
    const Mkwrite mk = do_page_mkwrite(ictx, *folio, group);
    if (mk != Mkwrite::store) {
      folio_put(*folio);
      if (mk == Mkwrite::refault) continue;
      break;  // SIGBUS or OOM: the store is lost
    }
    // fault_dirty_shared_page(): the folio is marked dirty before the store
    // lands (and, in the model, before the folio is unlocked).
    folio_mark_dirty(*folio);
    const std::uint64_t offset = static_cast<std::uint64_t>(at - folio->pos());
    // Only pages up to the one holding EOF are mapped (filemap_map_pages
    // and the fault path stop at DIV_ROUND_UP(i_size, PAGE_SIZE)), even in
    // a large folio reaching further: a store to a page wholly past EOF
    // faults with SIGBUS. The tail of the EOF page is mapped memory.
    // i_size is read again: the fault and page_mkwrite may have slept while
    // a truncate lowered it (it takes no inode lock), even below `at`. The
    // page was mapped when the fault began, so the store still lands on it
    // until truncate zaps the mapping and removes the folio; it is not file
    // data.
    const loff_t i_size = ictx.i_size;
    const auto eof_page_end = static_cast<loff_t>(
        (i_size + static_cast<loff_t>(kPageSize) - 1) & ~static_cast<loff_t>(kPageSize - 1));
    const std::uint64_t to_page_end = eof_page_end > at ? static_cast<std::uint64_t>(eof_page_end - at)
                                                        : folio->size() - offset;
    const std::uint64_t part = std::min({folio->size() - offset, data.size() - done, to_page_end});
    std::memcpy(folio->data.data() + offset, data.data() + done, part);
    // Bytes past EOF in the EOF page are not part of the file.
    const std::uint64_t stored = at < i_size ? std::min<std::uint64_t>(part, static_cast<std::uint64_t>(i_size - at)) : 0;
    if (stored > 0) MODEL_EVENT(data_stored(ictx, at, std::span(data).subspan(done, stored)));
    MODEL_EVENT(group_stored(*folio, group));
    folio_unlock(*folio);
    folio_put(*folio);
    balance_dirty_pages_ratelimited(ictx.mapping);
    done += part;
  }
  MODEL_EVENT(mapped_access(ictx, pos, data.size(), false));
}

std::vector<std::uint8_t> netfs_mmap_read(NetfsFile& file, loff_t pos, std::uint64_t len) {
  NetfsInode& ictx = *file.inode;
  MODEL_EVENT(read_begin(ictx));
  MODEL_EVENT(mapped_access(ictx, pos, len, true));
  std::vector<std::uint8_t> out(len, 0);
  std::uint64_t done = 0;
  while (done < len) {
    const loff_t at = pos + static_cast<loff_t>(done);
    // A page wholly past EOF is not mapped (filemap_fault: VM_FAULT_SIGBUS
    // at index >= DIV_ROUND_UP(i_size, PAGE_SIZE)): the load stops there.
    if (at >= ((ictx.i_size + static_cast<loff_t>(kPageSize) - 1) & ~static_cast<loff_t>(kPageSize - 1))) {
      out.resize(done);
      break;
    }
    Folio* folio = fault_in(file, at);
    if (folio == nullptr) {  // SIGBUS: a truncate took the page away
      out.resize(done);
      break;
    }
    const std::uint64_t offset = static_cast<std::uint64_t>(at - folio->pos());
    const std::uint64_t part = std::min(folio->size() - offset, len - done);
    std::memcpy(out.data() + done, folio->data.data() + offset, part);
    folio_put(*folio);
    done += part;
  }
  MODEL_EVENT(mapped_access(ictx, pos, len, false));
  MODEL_EVENT(read_returned(ictx, pos, out));
  return out;
}

int netfs_drop_page_cache(NetfsFile& file) {
  const int err = netfs_fsync(file);
  // drop_pagecache_sb(): invalidate_mapping_pages() of every inode, which
  // skips what is locked, dirty, under writeback or in use.
  invalidate_mapping_pages(file.inode->mapping, 0, ~pgoff_t{0});
  return err;
}

int netfs_invalidate_inode_pages2(NetfsFile& file) {
  AddressSpace& mapping = file.inode->mapping;
  const int err = netfs_fsync(file);
  MODEL_EVENT(page_cache_drop_begin(*file.inode));
  invalidate_inode_pages2_range(mapping, 0, ~pgoff_t{0} >> 1);
  MODEL_EVENT(page_cache_drop_returned(*file.inode));
  return err;
}

// msync(MS_SYNC) is vfs_fsync_range() over the range (datasync): the
// filesystem's ->fsync, file_write_and_wait_range() and the file's unseen
// error, as fdatasync.
int netfs_msync(NetfsFile& file, loff_t start, loff_t end) { return netfs_fsync_range(file, start, end); }

int netfs_sync_file_range(NetfsFile& file, loff_t offset, loff_t nbytes, unsigned flags) {
  const int ret = sync_file_range(file.inode->mapping, offset, nbytes, flags, &file.f_wb_err);
  MODEL_EVENT(sync_file_range_returned(*file.inode, ret));
  return ret;
}

}  // namespace wbsim::model
