#include "model/mm/variants.h"

#include "sim/bug_switch.h"

namespace wbsim::model::variant {

WBSIM_BUG(kBugMigrateWaits, "fuse-migrate-waits-on-writeback", "fuse/migrate_under_writeback", "liveness",
          "mm/migrate: skip migrating folios under writeback with AS_WRITEBACK_MAY_BLOCK mappings");
WBSIM_BUG(kBugReclaimWaitsDeadlockable, "fuse-reclaim-waits-on-writeback", "fuse/reclaim_deadlock", "deadlock",
          "mm: skip folio reclaim in legacy memcg contexts for deadlockable mappings");
WBSIM_BUG(kBugSyncWaitsNoDataIntegrity, "fuse-sync-waits-no-data-integrity", "fuse/sync_unresponsive_server",
          "liveness", "fs/writeback: skip AS_NO_DATA_INTEGRITY mappings in wait_sb_inodes()");
WBSIM_BUG(kBugSyncWaitsForFlusher, "fuse-sync-waits-for-flusher", "fuse/suspend_frozen_daemon", "liveness",
          "writeback: don't block sync for filesystems with no data integrity guarantees");

WBSIM_BUG(kBugFuseSubpageBlocks, "fuse-iomap-subpage-blocks", "fuse/ops_vs_writeback_618", "data-integrity",
          "fuse: fix fuseblk i_blkbits for iomap partial writes");

bool migrate_waits_on_may_block_writeback() { return sim::bug(kBugMigrateWaits); }
bool reclaim_waits_on_deadlockable_writeback() { return sim::bug(kBugReclaimWaitsDeadlockable); }
bool sync_waits_on_no_data_integrity_mapping() { return sim::bug(kBugSyncWaitsNoDataIntegrity); }
bool sync_waits_for_flusher_without_data_integrity() { return sim::bug(kBugSyncWaitsForFlusher); }
bool fuse_blocks_below_page_size() { return sim::bug(kBugFuseSubpageBlocks); }

}  // namespace wbsim::model::variant
