//! Pin: the VFS entry points of fs/netfs (buffered_write.c, direct_write.c, buffered_read.c) (gregkh/linux, 2026; docs/fidelity.md).
//! The netfs file operations scenarios drive, as a filesystem built on netfs
//! exposes them: buffered write and read, writethrough, unbuffered write,
//! fsync, truncate. Each is the model of the kernel function named beside it.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "model/backend/server.h"
#include "model/mm/readahead.h"
#include "model/netfs/request.h"

namespace wbsim::model {

// struct file's f_mode bits (include/linux/fs.h): how the file was opened.
inline constexpr unsigned FMODE_READ = 1u << 0;   // O_RDONLY or O_RDWR
inline constexpr unsigned FMODE_WRITE = 1u << 1;  // O_WRONLY or O_RDWR
// Set by a filesystem's ->open when its I/O paths honour IOCB_NOWAIT
// (io_uring then tries without blocking first); afs, 9p and cifs set none.
inline constexpr unsigned FMODE_NOWAIT = 1u << 2;
// kiocb ki_flags (include/linux/fs.h); a file's open flags become its
// f_iocb_flags (iocb_flags(): O_DIRECT, O_DSYNC, O_SYNC), and a call may add
// its own (pwritev2's RWF_DSYNC, RWF_NOWAIT).
inline constexpr unsigned IOCB_DSYNC = 1u << 1;
inline constexpr unsigned IOCB_SYNC = 1u << 2;
inline constexpr unsigned IOCB_NOWAIT = 1u << 3;
inline constexpr unsigned IOCB_DIRECT = 1u << 17;

// An open file description: how it was opened, and its own cursor into the
// mapping's errseq, so an error is reported once to each open file, as the
// kernel's f_wb_err.
struct NetfsFile {
  NetfsInode* inode = nullptr;
  std::uint32_t f_wb_err = 0;
  unsigned f_mode = FMODE_READ | FMODE_WRITE;  // O_RDWR unless opened otherwise
  unsigned f_iocb_flags = 0;
  FileRaState ra;  // f_ra: the readahead window of buffered reads through this file
};

// struct kiocb: one read or write call on an open file.
struct Kiocb {
  NetfsFile* ki_filp = nullptr;
  loff_t ki_pos = 0;
  unsigned ki_flags = 0;  // IOCB_*: the file's f_iocb_flags and the call's own
  // An asynchronous kiocb (io_uring, aio) completes through ki_complete,
  // from whatever context finishes the I/O; empty for a synchronous one
  // (is_sync_kiocb).
  std::function<void(Kiocb&, std::int64_t)> ki_complete;
};
inline bool is_sync_kiocb(const Kiocb& iocb) { return !iocb.ki_complete; }
inline constexpr std::int64_t kEIOCBQUEUED = -529;

struct WriteOptions {
  NetfsGroup* group = nullptr;  // the write group (Ceph snap context)
  bool writethrough = false;    // this call is RWF_DSYNC (pwritev2): IOCB_DSYNC, write-through
  // The largest folio the allocator gives this call: the mapping's largest
  // (mapping_max_folio_order) unless memory is too fragmented for it, as
  // when __filemap_get_folio() falls back to smaller orders.
  unsigned max_folio_order = kMaxPagecacheOrder;
  bool random_orders = false;   // draw each new folio's order (0..max): memory the allocator could not give
  bool aio = false;             // an asynchronous kiocb (io_uring): writethrough returns ki_complete's value
};

// netfs_file_write_iter: unbuffered for an O_DIRECT file, else
// netfs_perform_write (buffered, or writethrough for IOCB_DSYNC/IOCB_SYNC,
// followed by generic_write_sync). Returns bytes written or a negative errno.
std::int64_t netfs_file_write(NetfsFile& file, loff_t pos, const std::vector<std::uint8_t>& data,
                              const WriteOptions& options);
// netfs_unbuffered_write_iter (O_DIRECT / unbuffered): through the same issuer.
// With `aio` the kiocb is asynchronous: the call returns -EIOCBQUEUED inside
// and ki_complete runs from a workqueue; the model's caller then waits for
// ki_complete's value, as an io_uring program waits for its completion, and
// returns it.
std::int64_t netfs_unbuffered_write_iter(NetfsFile& file, loff_t pos, const std::vector<std::uint8_t>& data,
                                         bool aio = false);
// netfs_file_read_iter (buffered): reads folios from the server, marking
// them copy-to-cache when the inode has a cache.
// An O_DIRECT file, or an inode with NETFS_ICTX_UNBUFFERED, reads unbuffered
// (0 bytes for an error, which the read_failed event reports).
std::vector<std::uint8_t> netfs_file_read(NetfsFile& file, loff_t pos, std::uint64_t len);
// netfs_unbuffered_read_iter (O_DIRECT): write back the range, then read it
// from the server into `out`, bypassing the page cache. With `aio` the
// kiocb is asynchronous (io_submit: -EIOCBQUEUED inside, ki_complete from a
// workqueue) and the caller waits for its completion. Returns bytes read or
// a negative errno.
std::int64_t netfs_unbuffered_read_iter(NetfsFile& file, loff_t pos, std::uint64_t len, std::vector<std::uint8_t>& out,
                                        bool aio = false);
// file_write_and_wait_range + file_check_and_advance_wb_err (->fsync), over
// [start, end] or the whole file.
int netfs_fsync_range(NetfsFile& file, loff_t start, loff_t end);
int netfs_fsync(NetfsFile& file);
// The model has no inode metadata to skip, so fdatasync is fsync.
inline int netfs_fdatasync(NetfsFile& file) { return netfs_fsync(file); }
// A store through a shared writable mapping: each folio is faulted in (read
// if needed), then netfs_page_mkwrite makes it writable (waiting for
// writeback, flushing data of another group), then the bytes are stored and
// the folio is left dirty. A mapping cannot extend the file: stores to a
// page wholly beyond i_size are lost (SIGBUS); those to the EOF page's tail
// stay in the folio, outside the file.
void netfs_mmap_write(NetfsFile& file, loff_t pos, const std::vector<std::uint8_t>& data, NetfsGroup* group = nullptr);
// Loads through a shared mapping: each folio faulted in (read if needed),
// then copied; no inode lock, as page faults take none. A page wholly past
// EOF ends the load (SIGBUS): the bytes returned are the ones before it.
std::vector<std::uint8_t> netfs_mmap_read(NetfsFile& file, loff_t pos, std::uint64_t len);
// fallocate(2)'s allocate, punch-hole, zero-range, collapse-range and
// insert-range modes, and copy_file_range(2) within the file (`dest`),
// carried out by the server once the client dropped the affected page
// cache as cifs does (model/netfs/range_ops.cpp: punch hole and zero range
// drop dirty data unwritten). The caller has checked the arguments as the
// VFS does. Returns 0 or -errno.
int netfs_range_op(NetfsFile& file, RangeOp op, loff_t offset, std::uint64_t len, loff_t dest, bool keep_size);
// Writes the file back, then drops what of its page cache is not in use
// (close, then echo 1 > drop_caches, then open): invalidate_mapping_pages(),
// which skips locked, dirty, under-writeback and referenced folios.
int netfs_drop_page_cache(NetfsFile& file);
// Writes the file back, then drops its whole page cache, waiting for
// locked folios and writeback: invalidate_inode_pages2(), as a network
// filesystem does when the server says the file changed (an afs callback
// break, cifs_revalidate_mapping()).
int netfs_invalidate_inode_pages2(NetfsFile& file);
// msync(MS_SYNC) over a range: write and wait, reporting the file's error.
int netfs_msync(NetfsFile& file, loff_t start, loff_t end);
// sync_file_range(2) on an open file: its waits report the file's unseen
// writeback error (model/mm/sync.cpp).
int netfs_sync_file_range(NetfsFile& file, loff_t offset, loff_t nbytes, unsigned flags);
// netfs_setattr size change: truncate_pagecache (waiting for writeback on
// affected folios), then the server's size.
int netfs_truncate(NetfsFile& file, loff_t size);

}  // namespace wbsim::model
