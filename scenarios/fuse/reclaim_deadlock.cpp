// Why: the deadlock that motivated FUSE's AS_WRITEBACK_MAY_DEADLOCK_ON_RECLAIM
//      (seed: fuse-remove-temp-page-copies-in-writeback). Without temporary
//      pages a folio stays under writeback until the server replies. A
//      single-threaded server handling a WRITE allocates memory; below the
//      low watermark the allocation reclaims in the server's own thread;
//      legacy (cgroup v1) memcg reclaim waits on writeback of a folio it
//      met before (shrink_folio_list case 3), and only this server thread
//      can end that writeback. The fix: reclaim never waits on writeback of
//      a mapping flagged as possibly deadlocking on reclaim.
// How: a tight page budget, legacy memcg reclaim, one server thread; the
//      writer dirties more than the budget's slack and fsyncs. Either
//      writeback design is drawn: the temporary-page design ends writeback
//      at once and cannot deadlock this way.
#include "scenarios/fuse_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(fuse_reclaim_deadlock, "fuse/reclaim_deadlock", .pct_steps_hint = 2000,
               .why = "a single-threaded FUSE server reclaiming in its handler never waits on its own writeback",
               .params = {{"writes", 3, 1, 16, "appends of 4 to 9 pages before the fsync"}}) {
  model::World w({.background_thresh_pages = 8, .dirty_thresh_pages = 64});
  model::Mm& mm = w.mm();
  mm.free_pages = 48;
  mm.low_pages = 32;
  mm.legacy_memcg = true;
  model::FuseConn fc(w, {.server_threads = 1, .temp_pages = sim::draw(4) == 0});
  model::FuseInode& inode = fc.create_file();
  std::vector<std::uint8_t> written;
  s.spawn("writer", [&] {
    for (std::uint32_t i = 0; s.more("writes", i); ++i) {
      const auto bytes = pattern(40 + i, 4096 * (4 + sim::draw(6)));
      const model::loff_t pos = static_cast<model::loff_t>(written.size());
      fc.write(inode, pos, bytes);
      written.insert(written.end(), bytes.begin(), bytes.end());
    }
    fc.fsync(inode);
    SIM_CHECK("data-integrity", inode.server_data == written,
              "the FUSE server holds {} bytes after fsync, the application wrote {} (or they differ)",
              inode.server_data.size(), written.size());
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
