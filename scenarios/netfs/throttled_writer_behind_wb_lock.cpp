// Why: a writer paused in balance_dirty_pages() must keep background
//      writeback going: every pause starts it again when the dirty count is
//      over the background threshold. netfs's ->writepages skips a
//      WB_SYNC_NONE walk while another holds wb_lock, so a background pass
//      that meets a data-integrity walk writes nothing and ends; only the
//      throttled writer's next kick (or the periodic wake-up, seconds later)
//      starts the next one once wb_lock is free.
// How: an fsync of a few scattered dirty folios (under the background
//      threshold, so the flusher is not yet busy) against a slow server with
//      one credit holds wb_lock while it waits for a credit for each
//      subrequest after the first; meanwhile a second fiber appends past the
//      dirty threshold and is throttled. dirty-throttle bounds the flusher's
//      sleep while the writer waits; data-integrity checks both fibers'
//      bytes at the fsyncs.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_throttled_writer_behind_wb_lock, "netfs/throttled_writer_behind_wb_lock",
               .pct_steps_hint = 3000,
               .why = "a writer throttled while an fsync holds wb_lock keeps kicking background writeback",
               .params = {{"scattered", 3, 2, 5, "dirty folios the fsync writes, one credit each"},
                          {"appends", 24, 8, 48, "one-page appends of the throttled writer"}}) {
  model::World w({.server = {.wsize = 4096, .credits = 1, .latency_min = 150 * sim::kMs,
                             .latency_max = 400 * sim::kMs},
                  .background_thresh_pages = 6,
                  .dirty_thresh_pages = 12,
                  .writeback_chunk_pages = 2});
  model::NetfsInode& inode = w.create_file({.cache = false});
  constexpr model::loff_t kAppendFrom = 64 * 4096;
  s.spawn("fsyncer", [&] {
    model::NetfsFile f = w.open(inode);
    // Every other page, so each is a subrequest of its own.
    std::int64_t n = 0;
    for (; s.more("scattered", n); ++n)
      model::netfs_file_write(f, 2 * n * 4096, pattern(300 + static_cast<std::uint32_t>(n), 4096), {});
    model::netfs_fsync_range(f, 0, 2 * n * 4096 - 1);
  });
  s.spawn("appender", [&] {
    model::NetfsFile f = w.open(inode);
    sim::sleep(sim::draw(3) * sim::kMs);
    for (std::int64_t i = 0; s.more("appends", i); ++i) {
      const auto bytes = pattern(400 + static_cast<std::uint32_t>(i), 4096);
      model::netfs_file_write(f, kAppendFrom + i * 4096, bytes, {});
    }
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
