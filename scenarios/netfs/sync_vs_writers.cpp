// Why: sync(2) (sync_inodes_sb: WB_SYNC_ALL writeback of every inode by the
//      flusher, then wait_sb_inodes) promises that every byte stored before
//      it began is on the server when it returns, for every file, whatever
//      writeback was already under way; nothing else in the netfs scenarios
//      calls sync. Its WB_SYNC_ALL pass must wait for folios already under
//      writeback (whose data may be older than the last store) and
//      wait_sb_inodes for what the pass itself started.
// How: two files, a writer for each storing at random places (buffered
//      writes and mmap stores) against a slow server with small writeback
//      chunks and a low background threshold, so background writeback runs
//      under the writers; a third fiber calls sync() at random times. The
//      data-integrity checker compares both files with the server when each
//      sync returns.
#include "model/netfs/netfs.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_sync_vs_writers, "netfs/sync_vs_writers", .pct_steps_hint = 3000,
               .why = "sync(2) returns with every earlier store on the server, under background writeback",
               .params = {{"writes", 8, 1, 64, "stores of each writer"},
                          {"syncs", 3, 1, 16, "sync() calls"}}) {
  model::World w({.server = {.wsize = 16 * 1024, .credits = 2, .latency_min = 200 * sim::kUs,
                             .latency_max = 3 * sim::kMs},
                  .background_thresh_pages = 2,
                  .dirty_thresh_pages = 32,
                  .writeback_chunk_pages = 2});
  constexpr std::uint64_t kSize = 48 * 1024;
  model::NetfsInode* files[2] = {&w.create_file({.cache = sim::draw(2) == 0}),
                                 &w.create_file({.cache = sim::draw(2) == 0})};
  for (int n = 0; n < 2; ++n) {
    s.spawn(n == 0 ? "writer0" : "writer1", [&, n] {
      model::NetfsFile f = w.open(*files[n]);
      write_all(f, 0, pattern(200 + static_cast<std::uint32_t>(n), kSize), {.max_folio_order = 2});
      for (std::int64_t i = 0; s.more("writes", i); ++i) {
        const auto pos = static_cast<model::loff_t>(sim::draw(kSize - 1));
        const auto bytes = pattern(210 + static_cast<std::uint32_t>(i * 2 + n), 1 + sim::draw(9000));
        if (sim::draw(3) == 0 && static_cast<std::uint64_t>(pos) + bytes.size() <= kSize) {
          model::netfs_mmap_write(f, pos, bytes);  // within EOF: no SIGBUS
        } else {
          write_all(f, pos, bytes, {.max_folio_order = 2, .random_orders = true});
        }
        sim::sleep(sim::draw(3) * sim::kMs);
      }
    });
  }
  s.spawn("syncer", [&] {
    for (std::int64_t i = 0; s.more("syncs", i); ++i) {
      sim::sleep(sim::draw(8) * sim::kMs);
      w.sync();
    }
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
