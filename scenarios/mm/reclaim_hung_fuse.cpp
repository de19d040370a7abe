// Why: F1 beyond the single-threaded server: any task that allocates in
//      legacy memcg reclaim may meet a folio of a FUSE file whose server
//      never answers. Without AS_WRITEBACK_MAY_DEADLOCK_ON_RECLAIM honoured
//      (C21), shrink_folio_list's case 3 waits on that writeback forever;
//      with it, reclaim marks the folio and moves on. kswapd never waits,
//      either way.
// How: a FUSE file with writeback that is never answered; another task
//      allocates under a tight budget in legacy memcg reclaim, against a
//      bound, with kswapd and kcompactd running.
#include "scenarios/fuse_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(mm_reclaim_hung_fuse, "mm/reclaim_hung_fuse", .pct_steps_hint = 2000,
               .why = "reclaim in an unrelated task never waits on a hung FUSE server's writeback") {
  model::World w({.background_thresh_pages = 1,
                  .dirty_thresh_pages = 64,
                  .free_pages = 40,
                  .min_pages = 4,
                  .low_pages = 24,
                  .kswapd = sim::draw(2) == 0});
  w.mm().legacy_memcg = true;
  model::FuseConn fc(w, {.server_threads = 1 + sim::draw(3)});
  model::FuseInode& inode = fc.create_file();
  fc.drop_write_replies();
  bool sent = false;
  s.spawn("writer", [&] {
    fc.write(inode, 0, pattern(110, 4096 * (8 + sim::draw(8))));
    sim::sleep(sim::kSec);  // background writeback sends it; no reply comes
    sent = true;
  });
  spawn_bounded(s, "allocator", 30 * sim::kSec, "an allocation in legacy memcg reclaim (F1)", [&] {
    while (!sent) sim::sleep(sim::kMs);
    // Twice over the same folios: case 3 needs PG_reclaim already set.
    unsigned taken = 0;
    for (int i = 0; i < 24; ++i) {
      if (model::alloc_pages(w.mm(), 2, model::GFP_KERNEL)) taken += 2;
      sim::sleep(sim::draw(3) * sim::kMs);
    }
    model::free_pages(w.mm(), taken);  // the process exits
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
