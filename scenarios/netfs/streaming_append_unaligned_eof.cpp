// Why: a file whose size on the server is not folio-aligned has zero_point
//      inside its EOF folio. Small appends there are streaming writes (the
//      folio is not uptodate and starts below zero_point) whose dirty bytes
//      run past zero_point. When their writeback ends, the folio is left
//      blank (no longer uptodate, no streaming record), so the next read of
//      it goes to the server for bytes below zero_point and fills the rest
//      with zeros: zero_point must have been raised past the written data
//      ("netfs: Fix interaction of streaming writes with zero-point
//      tracker"; the cpython config.log corruption on cifs).
// How: preload an unaligned file, append small pieces, let background
//      writeback and fsync race them, and read back ranges around EOF.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_streaming_append_unaligned_eof, "netfs/streaming_append_unaligned_eof", .pct_steps_hint = 3000,
               .why = "small appends into an unaligned EOF folio read back after writeback",
               .params = {{"appends", 8, 1, 64, "appends, each maybe followed by an fsync and a read of the tail"}}) {
  model::World w({.background_thresh_pages = 1, .dirty_thresh_pages = 64});
  model::NetfsInode& inode = w.create_file();
  w.preload(inode, pattern(7, 4096 * (1 + sim::draw(3)) + 1 + sim::draw(4000)));
  s.spawn("appender", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::uint32_t i = 0; s.more("appends", i); ++i) {
      const model::loff_t pos = inode.i_size;
      model::netfs_file_write(f, pos, pattern(20 + i, 1 + sim::draw(700)), {.max_folio_order = 1});
      if (sim::draw(3) == 0) model::netfs_fsync(f);
      if (sim::draw(2) == 0) {
        // Read back the tail: the last folio or two, through the cache.
        const model::loff_t at = std::max<model::loff_t>(0, inode.i_size - 1 - sim::draw(6000));
        model::netfs_file_read(f, at, static_cast<std::uint64_t>(inode.i_size - at));
      }
      sim::sleep(sim::draw(3) * sim::kMs);
    }
    model::netfs_fsync(f);
    model::netfs_file_read(f, 0, static_cast<std::uint64_t>(inode.i_size));
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
