// Why: memory hotplug's offline_pages migrates every folio off a block and
//      retries until none is left; MIGRATE_SYNC waits on writeback. For a
//      netfs file whose server stalls and fails, that writeback ends --
//      late, after retries -- so offlining must end too, while kcompactd
//      (sync-light) and kswapd work the same folios.
// How: a netfs file written and rewritten under server faults with a tight
//      page budget; an offliner runs offline_pages on its folios against a
//      bound.
#include "model/mm/migrate.h"
#include "scenarios/fuse_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(mm_offline_pages_netfs, "mm/offline_pages_netfs", .pct_steps_hint = 2000,
               .why = "offline_pages over a netfs file under faulty writeback returns") {
  model::World w({.server = {.wsize = 16 * 1024},
                  .background_thresh_pages = 2,
                  .dirty_thresh_pages = 48,
                  .free_pages = 64,
                  .min_pages = 8,
                  .low_pages = 16,
                  .kswapd = true});
  model::NetfsInode& inode = w.create_file({.cache = sim::draw(3) == 0});
  bool written = false;
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    model::netfs_file_write(f, 0, pattern(100, 4096 * (8 + sim::draw(16))), {.max_folio_order = 2, .random_orders = true});
    written = true;
    for (std::uint32_t i = 0; i < 4; ++i) {
      const auto pos = static_cast<model::loff_t>(sim::draw(8) * 4096 + sim::draw(100));
      model::netfs_file_write(f, pos, pattern(101 + i, 1 + sim::draw(9000)), {});
      sim::sleep(sim::draw(5) * sim::kMs);
    }
    model::netfs_fsync(f);
  });
  spawn_bounded(s, "offliner", 120 * sim::kSec, "offline_pages over a netfs file", [&] {
    while (!written) sim::sleep(sim::kMs);
    model::offline_pages(inode.mapping);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
