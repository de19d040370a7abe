//! The DIO-side halves of the coherency designs (model/dio/coherency.cpp).
#pragma once

#include "model/dio/local.h"

namespace wbsim::model {

// bch2_pagecache_block_get / _put: the DIO's hold of the two-state lock.
void pagecache_block_get(LocalInode& inode);
void pagecache_block_put(LocalInode& inode, sim::FiberId owner);
// dio-via-pagecache's tweak: a new DIO waits while buffered I/O waits for
// i_dio_count, so a stream of DIOs cannot hold buffered I/O off forever.
void dio_wait_for_buffered_waiters(LocalInode& inode);

}  // namespace wbsim::model
