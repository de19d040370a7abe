//! The 6.18 client's other file operations (fs/fuse/file.c): fsync,
//! close (->flush, ->release), fallocate, copy_file_range, the shared
//! mapping's faults, msync and close (fuse_page_mkwrite, fuse_vma_close),
//! reads, getxattr, and posix_fadvise(DONTNEED).
//!
//! Punching, zeroing and copying write the file back from the offset to
//! its end first (fuse_writeback_range takes no end) and wait for every
//! WRITE in flight; collapse and insert are refused with EOPNOTSUPP before
//! any request. COPY_FILE_RANGE_64 is tried until the server answers
//! ENOSYS once (fc->no_copy_file_range_64), then COPY_FILE_RANGE.
#include <algorithm>
#include <cstring>

#include "model/fuse/fuse.h"
#include "model/fuse/internal.h"
#include "model/iomap/buffered_io.h"
#include "model/mm/filemap.h"
#include "model/mm/page_writeback.h"
#include "model/mm/truncate.h"
#include "sim/assert.h"
#include "sim/coverage.h"
#include "sim/rwsem.h"

namespace wbsim::model {

WBSIM_MARK_IN(kMarkFuseCopyFallback, "fuse.copy_file_range_fallback", "fsx/*",
              "COPY_FILE_RANGE_64 was answered ENOSYS and the old opcode used");

namespace {

constexpr int kEOPNOTSUPP = -95;
constexpr int kENOSYS = -38;

// fuse_writeback_range: from `start` to the end of the file, then every
// WRITE in flight.
int fuse_writeback_range(FuseInode& fi, loff_t start) {
  const int err = filemap_write_and_wait_range(fi.mapping, start, INT64_MAX);
  if (err == 0) fuse_sync_writes(fi);
  return err;
}

}  // namespace

int fuse_fsync(FuseFile& file, loff_t start, loff_t end, bool datasync) {
  FuseInode& fi = *file.inode;
  FuseConn& fc = *fi.fc;
  sim::WriteGuard lock(*fi.i_rwsem);
  // Start writeback of the range, wait for it and every WRITE in flight,
  // then FUSE_FSYNC.
  int err = filemap_write_and_wait_range(fi.mapping, start, end);
  if (err != 0) return err;
  fuse_sync_writes(fi);
  if ((err = filemap_check_errors(fi.mapping)) != 0) return err;  // file_check_and_advance_wb_err
  // sync_inode_metadata(inode, 1): nr_to_write 0 writes no data; the
  // inode's times go in a time-only SETATTR (outside the compared view).
  FuseIn in;
  in.nodeid = fi.nodeid;
  in.datasync = datasync;
  return fc.simple_request(fi, FuseOpcode::fsync, in, {}, nullptr);
}

int fuse_close(FuseFile& file) {
  FuseInode& fi = *file.inode;
  FuseConn& fc = *fi.fc;
  // ->flush (fuse_flush)
  int err = write_inode_now(fi);
  {
    sim::WriteGuard lock(*fi.i_rwsem);
    fuse_sync_writes(fi);
  }
  if (err == 0) err = filemap_check_errors(fi.mapping);
  if (err == 0) {
    FuseIn in;
    in.nodeid = fi.nodeid;
    err = fc.simple_request(fi, FuseOpcode::flush, in, {}, nullptr);
    if (err == 0 && fc.options().writeback_cache) fuse_invalidate_attr_mask(fi, kStatxBasicStats);
  }
  // ->release (fuse_release): the last reference to the file.
  if (fc.options().writeback_cache) write_inode_now(fi);
  std::erase(fi.write_files, &file);
  FuseIn in;
  in.nodeid = fi.nodeid;
  in.from_kernel = true;  // args->nocreds; sent in the background
  in.flags = file.f_flags;
  fc.simple_background(fi, FuseOpcode::release, in, {}, [](int, const FuseConn::Reply&) {});
  return err;
}

std::int64_t fuse_file_read_iter(FuseFile& file, loff_t pos, std::uint64_t count, std::vector<std::uint8_t>* out) {
  FuseInode& fi = *file.inode;
  // fuse_cache_read_iter: with auto_inval_data the attributes first.
  if (fi.fc->options().auto_inval_data || pos + static_cast<loff_t>(count) > fi.i_size) {
    if (const int err = fuse_update_get_attr(file, kStatxSize); err != 0) return err;
  }
  sim::ReadGuard lock(*fi.i_rwsem);
  filemap_read(file, pos, count, out);
  return static_cast<std::int64_t>(out->size());
}

int fuse_file_fallocate(FuseFile& file, std::uint32_t mode, loff_t offset, loff_t length) {
  FuseInode& fi = *file.inode;
  FuseConn& fc = *fi.fc;
  if ((mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) != 0) return kEOPNOTSUPP;
  sim::WriteGuard lock(*fi.i_rwsem);
  const bool keep = (mode & FALLOC_FL_KEEP_SIZE) != 0;
  const bool zeroing = (mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) != 0;
  if (zeroing) {
    if (const int err = fuse_writeback_range(fi, offset); err != 0) return err;
  }
  if (!keep) fi.size_unstable = true;
  FuseIn in;
  in.nodeid = fi.nodeid;
  in.offset = offset;
  in.size = static_cast<std::uint64_t>(length);
  in.mode = mode;
  int err = fc.simple_request(fi, FuseOpcode::fallocate, in, {}, nullptr);
  if (err == kENOSYS) err = kEOPNOTSUPP;
  if (err == 0) {
    if (!keep) fuse_write_update_attr(fi, offset + length, length);  // it could have grown the file
    if (zeroing) truncate_inode_pages_range(fi.mapping, offset, offset + length - 1);  // truncate_pagecache_range
    fuse_invalidate_attr_mask(fi, kFuseStatxModsize);
  }
  if (!keep) fi.size_unstable = false;
  return err;
}

std::int64_t fuse_copy_file_range(FuseFile& in_file, loff_t pos_in, FuseFile& out_file, loff_t pos_out,
                                  std::uint64_t len) {
  FuseInode& fi_in = *in_file.inode;
  FuseInode& fi_out = *out_file.inode;
  FuseConn& fc = *fi_out.fc;
  if (fc.no_copy_file_range) return kEOPNOTSUPP;
  {
    sim::WriteGuard lock(*fi_in.i_rwsem);
    if (const int err = fuse_writeback_range(fi_in, pos_in); err != 0) return err;
  }
  sim::WriteGuard lock(*fi_out.i_rwsem);
  // file_modified(file_out), then the destination written back too.
  if (const int err = fuse_writeback_range(fi_out, pos_out); err != 0) return err;
  const bool is_unstable = !fc.options().writeback_cache && pos_out + static_cast<loff_t>(len) > fi_out.i_size;
  if (is_unstable) fi_out.size_unstable = true;
  FuseIn in;
  in.nodeid = fi_in.nodeid;
  in.offset = pos_in;
  in.nodeid_out = fi_out.nodeid;
  in.off_out = pos_out;
  in.size = len;
  FuseConn::Reply reply;
  int err = 0;
  if (!fc.no_copy_file_range_64) {
    err = fc.simple_request(fi_in, FuseOpcode::copy_file_range_64, in, {}, &reply);
    if (err == kENOSYS) {
      sim::mark(kMarkFuseCopyFallback);
      fc.no_copy_file_range_64 = true;
    }
  }
  if (fc.no_copy_file_range_64) {  // the old opcode, whose length is 32 bits
    in.size = std::min<std::uint64_t>(len, 0xfffff000u);
    err = fc.simple_request(fi_in, FuseOpcode::copy_file_range, in, {}, &reply);
    if (err == kENOSYS) {
      fc.no_copy_file_range = true;
      err = kEOPNOTSUPP;
    }
  }
  if (is_unstable) fi_out.size_unstable = false;
  if (err != 0) return err;
  const auto copied = static_cast<std::uint64_t>(reply.out);
  if (copied > len) return -5;
  const loff_t first = pos_out & ~static_cast<loff_t>(kPageSize - 1);
  const loff_t last = ((pos_out + static_cast<loff_t>(copied) + static_cast<loff_t>(kPageSize) - 1) &
                       ~static_cast<loff_t>(kPageSize - 1)) - 1;
  truncate_inode_pages_range(fi_out.mapping, first, last);
  fuse_write_update_attr(fi_out, pos_out + static_cast<loff_t>(copied), static_cast<std::int64_t>(copied));
  return static_cast<std::int64_t>(copied);
}

std::int64_t vfs_copy_file_range(FuseFile& in, loff_t pos_in, FuseFile& out, loff_t pos_out, std::uint64_t len) {
  const loff_t size_in = in.inode->i_size;
  const std::uint64_t count =
      pos_in >= size_in ? 0 : std::min<std::uint64_t>(len, static_cast<std::uint64_t>(size_in - pos_in));
  const auto end_in = pos_in + static_cast<loff_t>(count);
  const auto end_out = pos_out + static_cast<loff_t>(count);
  if (in.inode == out.inode && end_out > pos_in && pos_out < end_in) return -22;  // -EINVAL
  if (count == 0) return 0;
  return fuse_copy_file_range(in, pos_in, out, pos_out, count);
}

int fuse_mapped_write(FuseFile& file, loff_t start, loff_t pos, std::span<const std::uint8_t> data) {
  FuseInode& fi = *file.inode;
  SIM_ASSERT_CMP(start, <=, pos);
  SIM_ASSERT_CMP(pos + static_cast<loff_t>(data.size()), <=, fi.i_size);  // stores past EOF would fault SIGBUS
  // fuse_file_mmap: a shared writable mapping links the file for writeback.
  if (std::find(fi.write_files.begin(), fi.write_files.end(), &file) == fi.write_files.end())
    fi.write_files.push_back(&file);
  // memcpy through the mapping: each page's first store faults it in
  // (filemap_fault), ->page_mkwrite waits for writeback, the store lands,
  // and the page is dirtied (->dirty_folio).
  std::uint64_t done = 0;
  while (done < data.size()) {
    const loff_t at = pos + static_cast<loff_t>(done);
    Folio* folio = fuse_fault_folio(file, static_cast<pgoff_t>(at) >> kPageShift);
    folio_get(*folio);
    folio_lock(*folio);  // fuse_page_mkwrite
    folio_wait_writeback(*folio);
    const auto off = static_cast<std::uint64_t>(at - folio->pos());
    const std::uint64_t n = std::min<std::uint64_t>(folio->size() - off, data.size() - done);
    std::memcpy(folio->data.data() + off, data.data() + done, n);
    iomap_dirty_folio(fi, *folio);
    folio_unlock(*folio);
    folio_put(*folio);
    done += n;
  }
  // msync(MS_SYNC) of the mapping: vfs_fsync_range(file, start, end, 1).
  int err = fuse_fsync(file, start, pos + static_cast<loff_t>(data.size()) - 1, true);
  // munmap: fuse_vma_close writes the whole inode back.
  const int close_err = write_inode_now(fi);
  mapping_set_error(fi.mapping, close_err);
  return err;
}

int fuse_getxattr(FuseFile& file, const std::string& name) {
  FuseInode& fi = *file.inode;
  FuseIn in;
  in.nodeid = fi.nodeid;
  in.name = name;
  return fi.fc->simple_request(fi, FuseOpcode::getxattr, in, {}, nullptr);
}

void fuse_fadvise_dontneed(FuseFile& file) {
  AddressSpace& mapping = file.inode->mapping;
  // generic_fadvise(POSIX_FADV_DONTNEED): start writeback of the dirty
  // folios (WB_SYNC_NONE, not waited for), then drop the unused clean
  // ones; if some could not go (perhaps in another CPU's LRU cache), drain
  // and try once more.
  filemap_fdatawrite_range(mapping, 0, INT64_MAX, SyncMode::none);
  unsigned long nr_failed = 0;
  mapping_try_invalidate(mapping, 0, ~pgoff_t{0}, &nr_failed);
  if (nr_failed != 0) invalidate_mapping_pages(mapping, 0, ~pgoff_t{0});
}

}  // namespace wbsim::model
