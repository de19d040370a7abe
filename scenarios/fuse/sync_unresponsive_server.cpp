// Why: after FUSE dropped its temporary pages, writeback stays on a folio
//      until the server replies, so sync(2)'s wait_sb_inodes() waited on
//      writeback that a buggy server never completes, and sync hung (a
//      regression; "fs/writeback: skip AS_NO_DATA_INTEGRITY mappings in
//      wait_sb_inodes()"). sync must return in bounded time whatever the
//      server does (F2); fsync on the file may still wait (F3).
// How: the server takes WRITE requests and never answers; data is written
//      and background writeback starts; then sync() runs against a 30 s
//      virtual-time watchdog. The liveness phase makes the server answer.
#include "scenarios/fuse_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(fuse_sync_unresponsive_server, "fuse/sync_unresponsive_server", .pct_steps_hint = 1000,
               .why = "sync(2) returns although the FUSE server never answers writes") {
  model::World w({.background_thresh_pages = 1, .dirty_thresh_pages = 256});
  // The kernel between the two fixes: mappings flagged AS_NO_DATA_INTEGRITY,
  // the superblock not yet SB_I_NO_DATA_INTEGRITY, so sync still runs and
  // waits for the flusher's WB_SYNC_ALL pass (which sends nothing: the
  // folios are clean and under writeback).
  model::FuseConn fc(w, {.server_threads = 1 + sim::draw(2), .sb_no_data_integrity = false});
  model::FuseInode& inode = fc.create_file();
  fc.drop_write_replies();
  spawn_bounded(s, "writer", 30 * sim::kSec, "sync() (F2)", [&] {
    fc.write(inode, 0, pattern(60, 4096 * (2 + sim::draw(6))));
    // Let background writeback send the data to the server.
    sim::sleep(sim::kSec);
    w.sync();
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
