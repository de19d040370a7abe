// Why: a store through a shared mapping into a folio under writeback must
//      wait for the writeback to end (netfs_page_mkwrite) so netfs can keep
//      owning folio->private, the folio must be dirty again afterwards so the
//      new bytes are written, and a folio read for the fault must be uptodate
//      (a streaming folio is written back and read, never mapped half-valid).
// How: buffered writes and mmap stores over the same range while the
//      flusher writes back (low background threshold); msync, then fsync.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_mmap_write_under_writeback, "netfs/mmap_write_under_writeback", .pct_steps_hint = 3000,
               .why = "page_mkwrite waits for writeback and redirties the folio") {
  model::World w({.background_thresh_pages = 1, .dirty_thresh_pages = 64});
  model::NetfsInode& inode = w.create_file({.cache = sim::draw(2) == 0});
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    const auto base = pattern(110, 40 * 1024);
    model::netfs_file_write(f, 0, base, {.max_folio_order = 2, .random_orders = true});
    for (std::uint32_t i = 0; i < 6; ++i) {
      const model::loff_t pos = static_cast<model::loff_t>(sim::draw(36 * 1024));
      const auto bytes = pattern(111 + i, 1 + sim::draw(6000));
      if (sim::draw(2) == 0) {
        model::netfs_mmap_write(f, pos, bytes);
      } else {
        model::netfs_file_write(f, pos, bytes, {.max_folio_order = 2});
      }
      sim::sleep(sim::draw(2) * sim::kMs);
    }
    model::netfs_msync(f, 0, 64 * 1024);
    model::netfs_fdatasync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
