// Why: a FUSE server process dies while it holds requests it has read.
//      If a supervisor keeps /dev/fuse open (systemd's fd store) and starts
//      a new server, the connection lives on, but the dead process's
//      requests are answered by nobody unless the new server asks for them
//      with FUSE_NOTIFY_RESEND (6.9); meanwhile their folios stay under
//      writeback (or their copies in flight). If the fd is closed, the
//      connection is aborted: every request ends with an error that fsync
//      must report. Either way sync(2) returns (F2), and an fsync that
//      returns 0 has the data on the server (F5, writeback-truth).
// How: writers rewrite a file while the server crashes at a random moment;
//      a supervisor either restarts it with resend or lets the connection
//      abort. fsync afterwards must return 0 (restart) or an error (abort),
//      within a bound; sync() runs too.
#include "scenarios/fuse_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(fuse_crash_restart, "fuse/crash_restart", .pct_steps_hint = 2000,
               .why = "a FUSE server that crashes and restarts (FUSE_NOTIFY_RESEND) or aborts loses nothing silently",
               .params = {{"writes", 3, 1, 32, "writes after the first, before the writer waits for the verdict"}}) {
  model::World w({.background_thresh_pages = 1, .dirty_thresh_pages = 64});
  model::FuseConn fc(w, {.server_threads = 1 + sim::draw(3),
                         .temp_pages = sim::draw(2) == 0,
                         .handler_time = (20 + sim::draw(300)) * sim::kUs});
  model::FuseInode& inode = fc.create_file();
  const bool keep_fd = sim::draw(3) != 0;
  bool crashed = false;
  bool recovered = false;
  spawn_bounded(s, "writer", 30 * sim::kSec, "fsync after the server's crash", [&] {
    fc.write(inode, 0, pattern(70, 4096 * (2 + sim::draw(6))));
    for (std::int64_t j = 0; s.more("writes", j); ++j) {
      const auto i = static_cast<std::uint32_t>(j);
      const auto pos = static_cast<model::loff_t>(sim::draw(6) * 4096 + sim::draw(200));
      fc.write(inode, pos, pattern(71 + i, 1 + sim::draw(9000)));
      sim::sleep(sim::draw(400) * sim::kUs);
    }
    // Wait for the supervisor's verdict, then fsync.
    while (!recovered) sim::sleep(sim::kMs);
    const int err = fc.fsync(inode);
    if (keep_fd) {
      SIM_CHECK("liveness", err == 0, "fsync after a restart with FUSE_NOTIFY_RESEND returned {}", err);
    } else {
      SIM_CHECK("error-propagation", err != 0, "fsync returned 0 on a connection aborted by the server's crash");
    }
  });
  s.spawn("supervisor", [&] {
    sim::sleep(sim::draw(1500) * sim::kUs);
    fc.crash(keep_fd);
    crashed = true;
    if (keep_fd) {
      sim::sleep(sim::draw(3) * sim::kMs);
      fc.restart(/*resend=*/true);
    }
    recovered = true;
  });
  spawn_bounded(s, "syncer", 30 * sim::kSec, "sync() around the server's crash (F2)", [&] {
    while (!crashed) sim::sleep(sim::kMs);
    w.sync();
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
