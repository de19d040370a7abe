//! The DIO-side halves of the coherency designs (model/dio/coherency.cpp).
#pragma once

#include "model/dio/local.h"

namespace wbsim::model {

// bch2_pagecache_block_get / _put: the DIO's hold of the two-state lock.
void pagecache_block_get(LocalInode& inode);
void pagecache_block_put(LocalInode& inode, sim::FiberId owner);
// netfs: filemap_invalidate_inode(inode, true, start, end) as mm/filemap.c
// has it (under the invalidate lock; returns only writeback errors).
int filemap_invalidate_inode_locked(LocalInode& inode, loff_t start, loff_t end);
// pagecache-add-lock: bcachefs's write-back-and-invalidate loop.
int write_invalidate_inode_pages_range(LocalInode& inode, loff_t start, loff_t end);
// lock-entries: the DIO's entries over [start, end], and their removal.
void place_lock_entries(LocalInode& inode, std::uint32_t dio, loff_t start, loff_t end);
void remove_lock_entries(LocalInode& inode, std::uint32_t dio);
// dio-via-pagecache's tweak: a new DIO waits while buffered I/O waits for
// i_dio_count, so a stream of DIOs cannot hold buffered I/O off forever.
void dio_wait_for_buffered_waiters(LocalInode& inode);

}  // namespace wbsim::model
