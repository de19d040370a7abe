// Why: suspend freezes user space, the FUSE daemon included, then syncs
//      (pm_fs_sync). Even with wait_sb_inodes skipping FUSE mappings, sync
//      waited for the flusher's WB_SYNC_ALL work, and the flusher was stuck
//      in ->write_inode's synchronous SETATTR that the frozen daemon never
//      answers: suspend hung (Debian #1120058). The fix: for a superblock
//      without data integrity guarantees, sync wakes the flusher and
//      returns ("writeback: don't block sync for filesystems with no data
//      integrity guarantees"; F2, F6, W5).
// How: dirty data, the daemon frozen, then sync() under a 30 s watchdog;
//      the liveness phase thaws the daemon.
#include "scenarios/fuse_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(fuse_suspend_frozen_daemon, "fuse/suspend_frozen_daemon", .pct_steps_hint = 1000,
               .why = "sync(2) at suspend returns although the FUSE daemon is frozen") {
  model::World w({.background_thresh_pages = 64, .dirty_thresh_pages = 256});
  model::FuseConn fc(w, {.server_threads = 1 + sim::draw(2)});
  model::FuseInode& inode = fc.create_file();
  spawn_bounded(s, "writer", 30 * sim::kSec, "sync() at suspend (F2, F6)", [&] {
    fc.write(inode, 0, pattern(61, 4096 * (1 + sim::draw(8))));
    fc.freeze();
    w.sync();  // pm_fs_sync
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
