// Why: the everyday case both writeback designs must get right: a healthy
//      server with several threads, memory tight enough that reclaim runs
//      (evicting clean folios, meeting folios under writeback), and writers
//      that rewrite data still being written back, which must wait for the
//      folio's writeback (no temporary pages) or for the in-flight copy
//      (temporary pages) so the server never receives bytes out of order.
// How: a writer rewrites overlapping ranges with fsyncs between, with
//      direct reclaim in the server's handlers and, on half the seeds,
//      kswapd and kcompactd; the server's bytes must equal the last data
//      written.
#include "scenarios/fuse_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(fuse_healthy_server_pressure, "fuse/healthy_server_pressure", .pct_steps_hint = 2000,
               .why = "a healthy FUSE server under memory pressure keeps every write in order",
               .params = {{"writes", 6, 1, 32, "writes of the writer, some followed by an fsync"}}) {
  model::World w({.background_thresh_pages = 2,
                  .dirty_thresh_pages = 64,
                  .free_pages = 40,
                  .min_pages = 8,
                  .low_pages = 24,
                  .kswapd = sim::draw(2) == 0});
  model::FuseConn fc(w, {.server_threads = 2 + sim::draw(3), .temp_pages = sim::draw(2) == 0});
  model::FuseInode& inode = fc.create_file();
  std::vector<std::uint8_t> shadow(12 * 4096, 0);
  s.spawn("writer", [&] {
    fc.write(inode, 0, shadow);
    for (std::int64_t j = 0; s.more("writes", j); ++j) {
      const auto i = static_cast<std::uint32_t>(j);
      const auto pos = static_cast<model::loff_t>(sim::draw(10) * 4096 + sim::draw(100));
      const auto bytes = pattern(30 + i, 1 + sim::draw(8000));
      fc.write(inode, pos, bytes);
      std::copy(bytes.begin(), bytes.end(), shadow.begin() + pos);
      if (sim::draw(3) == 0) fc.fsync(inode);
      sim::sleep(sim::draw(200) * sim::kUs);
    }
    fc.fsync(inode);
    const std::vector<std::uint8_t> want(shadow.begin(), shadow.begin() + inode.i_size);
    const auto diff = std::mismatch(inode.server_data.begin(), inode.server_data.end(), want.begin(), want.end());
    SIM_CHECK("data-integrity", diff.first == inode.server_data.end() && diff.second == want.end(),
              "the FUSE server's byte {} differs from what the application wrote last ({} server bytes, {} written)",
              diff.first - inode.server_data.begin(), inode.server_data.size(), want.size());
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
