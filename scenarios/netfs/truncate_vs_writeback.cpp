// Why: truncate must wait for writeback on every folio it removes or cuts,
//      never remove a folio under writeback, and writeback that samples
//      i_size after a truncate must not upload beyond the new EOF (a folio
//      wholly beyond it is cleaned without I/O); the server's size must end
//      as the application left it.
// How: concurrent writers extend the file while the flusher writes back
//      (low background threshold) and a truncater shrinks and regrows it.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_truncate_vs_writeback, "netfs/truncate_vs_writeback", .pct_steps_hint = 4000,
               .why = "truncate waits for writeback; writeback respects the new EOF") {
  model::World w({.background_thresh_pages = 2, .dirty_thresh_pages = 64});
  model::NetfsInode& inode = w.create_file({.cache = sim::draw(2) == 0});
  // Writers and the truncater take i_rwsem, so the shadow follows their order.
  for (std::uint32_t wr = 0; wr < 2; ++wr) {
    s.spawn("writer", [&, wr] {
      model::NetfsFile f = w.open(inode);
      for (std::uint32_t i = 0; i < 4; ++i) {
        const model::loff_t pos = static_cast<model::loff_t>(sim::draw(12) * 4096 + sim::draw(2) * 100);
        const auto bytes = pattern(60 + wr * 10 + i, 1 + sim::draw(8192));
        model::netfs_file_write(f, pos, bytes, {.max_folio_order = 2, .random_orders = true});
        sim::sleep(sim::draw(3) * sim::kMs);
      }
    });
  }
  s.spawn("truncater", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::uint32_t i = 0; i < 3; ++i) {
      sim::sleep(sim::draw(4) * sim::kMs);
      const model::loff_t size = static_cast<model::loff_t>(sim::draw(40 * 1024));
      model::netfs_truncate(f, size);
    }
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
