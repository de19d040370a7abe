//! The 6.18 client's inode operations and attribute cache (fs/fuse/dir.c,
//! fs/fuse/inode.c): FUSE_CREATE and FUSE_OPEN, ftruncate through
//! fuse_do_setattr (with iattr_to_fattr and update_mtime), fstat through
//! fuse_update_get_attr, and fuse_change_attributes, which with
//! auto_inval_data drops the page cache when the server's size or mtime
//! moved. With the writeback cache the kernel's size and times are the
//! truth (fuse_get_cache_mask), so only truncate and explicit ranges drop
//! cached data. Attribute and entry timeouts are taken as never expiring
//! within a run (the recordings used 86400 s).
#include <algorithm>

#include <fmt/format.h>

#include "model/fuse/fuse.h"
#include "model/fuse/internal.h"
#include "model/iomap/buffered_io.h"
#include "model/mm/filemap.h"
#include "model/mm/truncate.h"
#include "sim/assert.h"
#include "sim/coverage.h"
#include "sim/rwsem.h"

namespace wbsim::model {

WBSIM_MARK_IN(kMarkFuseAutoInval, "fuse.auto_inval_data", "fsx/*", "new attributes dropped the page cache");

namespace {

constexpr std::uint32_t kO_RDWR = 02;
constexpr std::uint32_t kO_CREAT = 0100;
constexpr std::uint32_t kO_TRUNC = 01000;
constexpr std::uint32_t kO_LARGEFILE = 0100000;

std::uint32_t fuse_get_cache_mask(const FuseInode& fi) {
  return fi.fc->options().writeback_cache ? kStatxMtime | kStatxCtime | kStatxSize : 0;
}

// fuse_change_attributes_common and the regular-file half of
// fuse_change_attributes_i.
void fuse_change_attributes(FuseInode& fi, loff_t size, std::uint64_t mtime) {
  const std::uint32_t cache_mask = fuse_get_cache_mask(fi);
  if ((cache_mask & kStatxSize) != 0) size = fi.i_size;
  if ((cache_mask & kStatxMtime) != 0) mtime = fi.attr_mtime;
  const std::uint64_t old_mtime = fi.attr_mtime;
  const loff_t oldsize = fi.i_size;
  fi.attr_mtime = mtime;
  fi.inval_mask &= ~kStatxBasicStats;
  if (!fi.fc->options().writeback_cache) fi.i_size = size;
  bool inval = false;
  if (oldsize != size) {
    truncate_pagecache(fi, size);
    inval = true;  // !explicit_inval_data
  } else if (fi.fc->options().auto_inval_data && old_mtime != mtime) {
    inval = true;
  }
  if (inval) {
    sim::mark(kMarkFuseAutoInval);
    invalidate_inode_pages2_range(fi.mapping, 0, ~pgoff_t{0});
  }
}

// update_mtime(): whether a SETATTR carries FATTR_MTIME.
bool update_mtime(bool size, bool from_file, bool trust_local_mtime) {
  if (trust_local_mtime) return true;
  return !(size && from_file);  // open(O_TRUNC) and ftruncate() do not update it
}

}  // namespace

void fuse_invalidate_attr_mask(FuseInode& fi, std::uint32_t mask) { fi.inval_mask |= mask; }

int fuse_update_get_attr(FuseFile& file, std::uint32_t request_mask) {
  FuseInode& fi = *file.inode;
  const std::uint32_t cache_mask = fuse_get_cache_mask(fi);
  if ((request_mask & fi.inval_mask & ~cache_mask) == 0) return 0;  // the cached attributes do
  FuseIn in;
  in.nodeid = fi.nodeid;
  FuseConn::Reply reply;
  if (const int err = fi.fc->simple_request(fi, FuseOpcode::getattr, in, {}, &reply); err != 0) return err;
  fuse_change_attributes(fi, reply.attr_size, reply.attr_mtime);
  return 0;
}

int fuse_getattr(FuseFile& file, FuseStatx* st) {
  const int err = fuse_update_get_attr(file, kStatxBasicStats);
  if (err == 0 && st != nullptr) st->size = file.inode->i_size;
  return err;
}

FuseInode& FuseConn::create_inode_618() {
  SIM_ASSERT(options_.client == FuseClient::v6_18);
  FuseInode& fi = create_file();
  fi.nodeid = 2;  // the first node under the root (1)
  return fi;
}

int fuse_create_open(FuseConn& fc, FuseInode& fi, FuseFile* file) {
  const std::uint32_t flags = kO_RDWR | kO_CREAT | kO_TRUNC | kO_LARGEFILE;
  FuseIn in;
  in.nodeid = 1;
  in.name = "f";
  in.flags = flags;
  in.mode = 0100644;
  FuseConn::Reply reply;
  if (const int err = fc.simple_request(fi, FuseOpcode::create, in, {}, &reply); err != 0) return err;
  SIM_ASSERT_CMP(static_cast<std::uint64_t>(reply.out), ==, fi.nodeid);
  fi.i_size = reply.attr_size;
  fi.attr_mtime = reply.attr_mtime;
  file->inode = &fi;
  file->f_flags = kO_RDWR | kO_LARGEFILE;  // O_CREAT and O_TRUNC are not kept
  file->ra = FileRaState{.ra_pages = fc.options().ra_pages};
  // fuse_finish_open: a writable file of a writeback-cache inode may write
  // back anything dirty (fuse_link_write_file).
  if (fc.options().writeback_cache) fi.write_files.push_back(file);
  return 0;
}

int fuse_open(FuseConn& fc, FuseInode& fi, FuseFile* file) {
  FuseIn in;
  in.nodeid = fi.nodeid;
  in.flags = kO_RDWR | kO_LARGEFILE;
  FuseConn::Reply reply;
  if (const int err = fc.simple_request(fi, FuseOpcode::open, in, {}, &reply); err != 0) return err;
  file->inode = &fi;
  file->f_flags = in.flags;
  file->ra = FileRaState{.ra_pages = fc.options().ra_pages};
  if (fc.options().writeback_cache) fi.write_files.push_back(file);
  // FOPEN_KEEP_CACHE is not set: invalidate_inode_pages2.
  invalidate_inode_pages2_range(fi.mapping, 0, ~pgoff_t{0});
  return 0;
}

// fuse_setattr -> fuse_do_setattr for ftruncate(): ATTR_SIZE | ATTR_MTIME |
// ATTR_CTIME | ATTR_FILE.
int fuse_ftruncate(FuseFile& file, loff_t size) {
  FuseInode& fi = *file.inode;
  FuseConn& fc = *fi.fc;
  sim::WriteGuard lock(*fi.i_rwsem);
  const bool is_wb = fc.options().writeback_cache;
  const bool trust_local_cmtime = is_wb;
  fuse_set_nowrite(fi);
  fi.size_unstable = true;
  FuseIn in;  // iattr_to_fattr
  in.nodeid = fi.nodeid;
  in.valid = FATTR_SIZE | FATTR_FH | FATTR_LOCKOWNER;  // ATTR_FILE: fh; ATTR_SIZE: the lock owner
  in.attr_size = size;
  if (update_mtime(true, true, trust_local_cmtime)) in.valid |= FATTR_MTIME;
  if (trust_local_cmtime) in.valid |= FATTR_CTIME;
  FuseConn::Reply reply;
  const int err = fc.simple_request(fi, FuseOpcode::setattr, in, {}, &reply);
  if (err != 0) {
    fi.size_unstable = false;
    fuse_release_nowrite(fi);
    return err;
  }
  // fuse_change_attributes_common with the answer; the size is the
  // server's, also with the writeback cache (is_truncate).
  if (!is_wb) fi.attr_mtime = reply.attr_mtime;
  fi.inval_mask &= ~kStatxBasicStats;
  const loff_t oldsize = fi.i_size;
  fi.i_size = reply.attr_size;
  fi.size_unstable = false;
  fuse_release_nowrite(fi);
  // Only after FUSE_NOWRITE is gone: fuse_launder_folio would wait for it.
  if (oldsize != reply.attr_size) {
    truncate_pagecache(fi, reply.attr_size);
    invalidate_inode_pages2_range(fi.mapping, 0, ~pgoff_t{0});
  }
  return 0;
}

// truncate_pagecache(): mm/truncate.c's truncate_inode_pages() from the new
// size (the model's mappings hold no page tables to unmap).
void truncate_pagecache(FuseInode& fi, loff_t newsize) { truncate_inode_pages(fi.mapping, newsize); }

}  // namespace wbsim::model
