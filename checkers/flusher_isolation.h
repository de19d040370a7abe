//! flusher-isolation (F6): one hung inode -- a FUSE file whose server does
//! not answer -- must not stall writeback of the rest of the superblock.
//! The flusher thread and the PM sync worker serve every inode; if either
//! blocks on the hung one (a synchronous SETATTR from ->write_inode, or a
//! folio already under writeback met in a WB_SYNC_ALL pass), a healthy
//! inode's dirty data is no longer written back.
//!
//! watch_flusher_isolation() spawns a fiber that, until `*done`, checks once
//! a virtual second that `healthy` has no data dirty for longer than
//! `bound` (the kupdate expiry plus a few flusher intervals).
#pragma once

#include "model/mm/filemap.h"
#include "sim/scheduler.h"

namespace wbsim::checkers {

void watch_flusher_isolation(sim::Scheduler& sched, const model::AddressSpace& healthy, sim::Time bound,
                             const bool* done);

}  // namespace wbsim::checkers
