//! Declarations shared by the FUSE model's files (as fs/fuse/fuse_i.h is),
//! sectioned by the file that defines them.
#pragma once

#include "model/fuse/fuse.h"

namespace wbsim::model {

struct IomapWritepageCtx;

inline constexpr int kENOTCONN = -107;
inline constexpr int kECONNABORTED = -103;

// STATX_* bits (include/uapi/linux/stat.h) and fs/fuse's masks of them.
inline constexpr std::uint32_t kStatxMode = 0x2;
inline constexpr std::uint32_t kStatxAtime = 0x20;
inline constexpr std::uint32_t kStatxMtime = 0x40;
inline constexpr std::uint32_t kStatxCtime = 0x80;
inline constexpr std::uint32_t kStatxSize = 0x200;
inline constexpr std::uint32_t kStatxBlocks = 0x400;
inline constexpr std::uint32_t kStatxBasicStats = 0x7ff;
inline constexpr std::uint32_t kFuseStatxModify = kStatxMtime | kStatxCtime | kStatxBlocks;
inline constexpr std::uint32_t kFuseStatxModsize = kFuseStatxModify | kStatxSize;

inline FuseInode& fuse_inode(AddressSpace& mapping) { return *static_cast<FuseInode*>(mapping.host); }

// file.cpp: the seed series' writeback (both designs).
int fuse_writepages_seed(AddressSpace& mapping, WritebackControl& wbc);

// file_writeback.cpp: the 6.18 client's writeback.
int fuse_writepages(AddressSpace& mapping, WritebackControl& wbc);
std::int64_t fuse_iomap_writeback_range(IomapWritepageCtx& wpc, Folio& folio, std::uint64_t pos, std::uint64_t len,
                                        std::uint64_t end_pos);
int fuse_iomap_writeback_submit(IomapWritepageCtx& wpc, int error);
int fuse_launder_folio(Folio& folio);
void fuse_set_nowrite(FuseInode& fi);
void fuse_release_nowrite(FuseInode& fi);
void fuse_sync_writes(FuseInode& fi);
// write_inode_now(inode, 1): every dirty folio written back and waited for.
int write_inode_now(FuseInode& fi);

// file_write.cpp
// fuse_write_update_attr(): i_size grows to pos; attributes go stale.
bool fuse_write_update_attr(FuseInode& fi, loff_t pos, std::int64_t written);

// file_read.cpp: the 6.18 client's page-cache reads.
// filemap_read() into `out`; the folios it brings in are read from the
// server with FUSE_READ.
void filemap_read(FuseFile& file, loff_t pos, std::uint64_t count, std::vector<std::uint8_t>* out);
// A folio of the page cache, up to date (filemap_fault's read).
Folio* fuse_fault_folio(FuseFile& file, pgoff_t index);
// The synchronous FUSE_READ of [pos, pos + len) into the folio.
int fuse_do_readfolio(FuseFile& file, Folio& folio, std::uint64_t off, std::uint64_t len);

// dir.cpp: attributes.
// fuse_update_get_attr() with STATX_BASIC_STATS or STATX_SIZE.
int fuse_update_get_attr(FuseFile& file, std::uint32_t request_mask);
void fuse_invalidate_attr_mask(FuseInode& fi, std::uint32_t mask);
// truncate_pagecache(): mm/truncate.c's truncate_inode_pages() from newsize.
void truncate_pagecache(FuseInode& fi, loff_t newsize);

}  // namespace wbsim::model
