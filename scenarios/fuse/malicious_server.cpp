// Why: a malicious (or wedged) FUSE server reads requests and never answers
//      any of them. The series' authors call sync and migration with such a
//      server out of scope; what the kernel does promise is that sync(2)
//      returns (F2), that reclaim never waits on the server (F1), that
//      fd-based waits may block (F3) but end when the administrator aborts
//      the connection (/sys/fs/fuse/connections/N/abort), reporting an
//      error, and that nothing else is left hanging after the abort.
// How: the server answers nothing; writers dirty a file under a tight page
//      budget with kswapd; sync() and a MIGRATE_SYNC migration of the file's
//      folios run against bounds, fsync waits until an administrator aborts
//      the connection ten seconds in.
#include "model/mm/migrate.h"
#include "scenarios/fuse_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(fuse_malicious_server, "fuse/malicious_server", .pct_steps_hint = 2000,
               .why = "a FUSE server that answers nothing: sync returns, fsync ends with the connection's abort") {
  model::World w({.background_thresh_pages = 2,
                  .dirty_thresh_pages = 64,
                  .free_pages = 72,
                  .min_pages = 8,
                  .low_pages = 24,
                  .kswapd = true});
  w.mm().legacy_memcg = sim::draw(2) == 0;
  model::FuseConn fc(w, {.server_threads = 1 + sim::draw(2), .temp_pages = sim::draw(2) == 0});
  model::FuseInode& inode = fc.create_file();
  fc.never_reply();
  spawn_bounded(s, "writer", 60 * sim::kSec, "fsync after the connection's abort (F3)", [&] {
    fc.write(inode, 0, pattern(80, 4096 * (4 + sim::draw(12))));
    sim::sleep(sim::kSec);  // background writeback sends it; nothing comes back
    const int err = fc.fsync(inode);
    SIM_CHECK("error-propagation", err != 0, "fsync returned 0 although the server answered nothing");
    // A partial write needs the page from a dead connection: it fails.
    fc.write(inode, 100, pattern(81, 10));
  });
  spawn_bounded(s, "syncer", 30 * sim::kSec, "sync() with a server that answers nothing (F2)", [&] {
    sim::sleep(2 * sim::kSec);
    w.sync();
  });
  // F4 per policy: the v4 proposal's -EBUSY returns at once; mainline's
  // MIGRATE_SYNC waits until the abort.
  spawn_bounded(s, "migrator", 5 * sim::kSec, "migration of folios the server never finishes (F4)", [&] {
    sim::sleep(2 * sim::kSec);
    model::migrate_mapping(inode.mapping, model::MigrateMode::sync);
  });
  s.spawn("admin", [&] {
    sim::sleep(10 * sim::kSec);
    fc.abort();
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
