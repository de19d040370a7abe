// Why: without temporary pages a FUSE folio stays under writeback until
//      the server replies; a server that never replies (buggy, malicious,
//      or holding on) makes MIGRATE_SYNC wait forever on it, and memory
//      hotplug's offline_pages retry forever. The v4 patches of the series
//      proposed -EBUSY for such mappings and five tries for offline_pages;
//      they were dropped (they break ZONE_MOVABLE/CMA guarantees), so
//      mainline hangs (F4, C24). The model defaults to the proposal for
//      flagged mappings; `--bug fuse-migrate-waits-on-writeback` is mainline.
// How: the server drops write replies; background writeback puts folios
//      under writeback; compaction migrates them (sync) and hotplug
//      offlines the block, under a 30 s watchdog.
#include "model/mm/migrate.h"
#include "scenarios/fuse_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(fuse_migrate_under_writeback, "fuse/migrate_under_writeback", .pct_steps_hint = 1000,
               .why = "migration and offlining of folios under never-ending FUSE writeback return (policy)") {
  model::World w({.background_thresh_pages = 1, .dirty_thresh_pages = 256});
  model::FuseConn fc(w, {.server_threads = 1 + sim::draw(2)});
  model::FuseInode& inode = fc.create_file();
  fc.drop_write_replies();
  spawn_bounded(s, "writer", 30 * sim::kSec, "migration / offline_pages (F4)", [&] {
    fc.write(inode, 0, pattern(62, 4096 * (2 + sim::draw(6))));
    sim::sleep(sim::kSec);  // background writeback sends it; no reply comes
    model::migrate_mapping(inode.mapping, sim::draw(2) == 0 ? model::MigrateMode::sync : model::MigrateMode::async);
    model::offline_pages(inode.mapping);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
