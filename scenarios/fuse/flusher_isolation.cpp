// Why: F6. One hung FUSE inode must not stall writeback for the rest of
//      the superblock. Before "writeback: don't block sync for filesystems
//      with no data integrity guarantees", sync at suspend queued
//      WB_SYNC_ALL work to the flusher and waited for it; the flusher
//      called ->write_inode, a synchronous SETATTR that the frozen daemon
//      never answered, and from then on wrote back nothing at all.
// How: a FUSE file with data under writeback and a frozen daemon; a PM
//      sync worker runs sync(); meanwhile another file of the superblock
//      is dirtied and must be written back within the kupdate expiry plus
//      a few flusher intervals (flusher-isolation).
#include "checkers/flusher_isolation.h"
#include "model/mm/flusher.h"
#include "scenarios/fuse_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(fuse_flusher_isolation, "fuse/flusher_isolation", .pct_steps_hint = 2000,
               .why = "a frozen FUSE daemon does not stop the flusher writing back other files (F6)") {
  model::World w({.background_thresh_pages = 64, .dirty_thresh_pages = 256});
  model::FuseConn fc(w, {.server_threads = 1 + sim::draw(2), .temp_pages = sim::draw(3) == 0});
  model::FuseInode& hung = fc.create_file();
  model::NetfsInode& healthy = w.create_file();
  bool done = false;
  s.spawn("pm_fs_sync", [&] {
    fc.write(hung, 0, pattern(95, 4096 * (1 + sim::draw(6))));
    fc.freeze();
    w.sync();
  });
  s.spawn("writer", [&] {
    sim::sleep(sim::draw(2000) * sim::kMs);
    model::NetfsFile f = w.open(healthy);
    model::netfs_file_write(f, 0, pattern(96, 1 + sim::draw(20000)), {});
    sim::sleep(60 * sim::kSec);
    done = true;
  });
  checkers::watch_flusher_isolation(s.sched(), healthy.mapping,
                                    model::Flusher::kDirtyExpire + 3 * model::Flusher::kDirtyWritebackInterval, &done);
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
