//! Behaviours of mm and fs/fs-writeback.c before fixes of the FUSE writeback
//! series, kept out of the mainline functions (as model/netfs/variants.h
//! does for netfs). Each hook returns whether this run takes the old
//! behaviour (`--bug NAME`, `wbsim bugs`).
#pragma once

namespace wbsim::model::variant {

// Before "mm/migrate: skip migrating folios under writeback with
// AS_WRITEBACK_MAY_BLOCK mappings": sync migration waited on writeback.
bool migrate_waits_on_may_block_writeback();
// Before "mm: skip folio reclaim in legacy memcg contexts for deadlockable
// mappings": reclaim waited on their writeback.
bool reclaim_waits_on_deadlockable_writeback();
// Before "fs/writeback: skip AS_NO_DATA_INTEGRITY mappings in
// wait_sb_inodes()".
bool sync_waits_on_no_data_integrity_mapping();
// Before "writeback: don't block sync for filesystems with no data
// integrity guarantees".
bool sync_waits_for_flusher_without_data_integrity();
// Before "fuse: fix fuseblk i_blkbits for iomap partial writes" (and
// 542ede096e48 "fuse: keep inode->i_blkbits constant"): a FUSE inode's
// i_blkbits followed the server's or the fuseblk mount's block size, so
// iomap's buffered writes could leave a page partly up to date.
bool fuse_blocks_below_page_size();

}  // namespace wbsim::model::variant
