// Why: the fd-based ways to wait for FUSE data (F3): fsync, fdatasync and
//      sync_file_range. fsync and fdatasync promise the data is on the
//      server when they return 0 (writeback-truth, F5), which the legacy
//      design keeps only by waiting for in-flight copies as well as for
//      writeback; sync_file_range promises nothing beyond writeback, and
//      in the legacy design returns while copies are still in flight.
// How: random rewrites with a slow multi-threaded server, each followed by
//      one of the three calls; the server's bytes are checked after each
//      fsync/fdatasync by writeback-truth.
#include "model/mm/page_writeback.h"
#include "scenarios/fuse_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(fuse_fsync_variants, "fuse/fsync_variants", .pct_steps_hint = 2000,
               .why = "fsync, fdatasync and sync_file_range on a FUSE file under writeback",
               .params = {{"writes", 6, 1, 32, "writes, each followed by one of the sync calls"}}) {
  model::World w({.background_thresh_pages = 2, .dirty_thresh_pages = 64});
  model::FuseConn fc(w, {.server_threads = 1 + sim::draw(3),
                         .temp_pages = sim::draw(2) == 0,
                         .handler_time = (10 + sim::draw(500)) * sim::kUs});
  model::FuseInode& inode = fc.create_file();
  s.spawn("writer", [&] {
    fc.write(inode, 0, pattern(90, 4096 * (2 + sim::draw(6))));
    for (std::int64_t j = 0; s.more("writes", j); ++j) {
      const auto i = static_cast<std::uint32_t>(j);
      const auto pos = static_cast<model::loff_t>(sim::draw(8) * 4096 + sim::draw(300));
      fc.write(inode, pos, pattern(91 + i, 1 + sim::draw(7000)));
      int err = 0;
      switch (sim::draw(4)) {
        case 0: err = fc.fsync(inode); break;
        case 1: err = fc.fsync(inode, /*datasync=*/true); break;
        case 2:
          err = fc.sync_file_range(inode, pos, 0,
                                   model::SYNC_FILE_RANGE_WAIT_BEFORE | model::SYNC_FILE_RANGE_WRITE |
                                       model::SYNC_FILE_RANGE_WAIT_AFTER);
          break;
        default: err = fc.sync_file_range(inode, 0, 0, model::SYNC_FILE_RANGE_WRITE); break;
      }
      SIM_CHECK("error-propagation", err == 0, "a sync call returned {} with a healthy server", err);
    }
    fc.fsync(inode);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
