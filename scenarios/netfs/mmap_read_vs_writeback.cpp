// Why: a load through a shared mapping faults in exactly the folios it
//      touches, reading those not in the cache through ->read_folio, and
//      returns what the application stored, also while the flusher writes
//      the folios back and reclaim drops clean ones under it.
// How: a preloaded file; one fiber mixes buffered writes, mapped stores and
//      mapped loads of random ranges below EOF (the file never shrinks, so
//      no load faults past it), the flusher running at a low background
//      threshold and swarm faults stalling the server and reclaim; fsync.
#include "model/netfs/netfs.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_mmap_read_vs_writeback, "netfs/mmap_read_vs_writeback", .pct_steps_hint = 3000,
               .why = "mapped loads fault in the folios they touch and return what was stored") {
  model::World w({.background_thresh_pages = 1, .dirty_thresh_pages = 64});
  model::NetfsInode& inode = w.create_file({.cache = sim::draw(2) == 0});
  constexpr std::uint64_t kSize = 32 * 1024;
  w.preload(inode, pattern(120, kSize));
  s.spawn("app", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::uint32_t i = 0; i < 6; ++i) {
      const auto pos = static_cast<model::loff_t>(sim::draw(kSize - 1));
      const std::uint64_t len = 1 + sim::draw(kSize - static_cast<std::uint64_t>(pos) - 1);
      switch (sim::draw(3)) {
        case 0:
          model::netfs_file_write(f, pos, pattern(121 + i, len), {.max_folio_order = 2});
          break;
        case 1:
          model::netfs_mmap_write(f, pos, pattern(121 + i, len));
          break;
        default:
          SIM_ASSERT_CMP(model::netfs_mmap_read(f, pos, len).size(), ==, len);
          break;
      }
      sim::sleep(sim::draw(2) * sim::kMs);
    }
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
