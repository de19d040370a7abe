// Why: compaction moves page-cache folios while an fsync walks the file. The
//      page-cache entry keeps its marks when migration stores the new folio
//      in it (PAGECACHE_TAG_TOWRITE, the dirty mark), so a folio tagged for
//      this fsync and moved before the walk reached it is still written and
//      waited for; a folio in the walk's batch cannot move (its reference
//      fails migration's count). fsync returns only once everything written
//      before it is on the server.
// How: more small dirty folios than one writeback batch holds, then an
//      fsync, in rounds that rewrite part of the file and may truncate it
//      inside a folio (which truncate must find again if it moved while it
//      waited for its lock); a compactor migrates
//      the mapping (sync or async) at short random intervals. Data
//      integrity judges each fsync's return and the end.
#include "model/mm/migrate.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_fsync_vs_compaction, "netfs/fsync_vs_compaction", .pct_steps_hint = 3000,
               .why = "folios migrated during an fsync's writeback walk are still written before it returns",
               .params = {{"folios", 96, 1, 256, "order-0 folios the first write dirties"},
                          {"rounds", 3, 1, 16, "rounds of a rewrite and an fsync"}}) {
  model::World w({.server = {.wsize = 16 * 1024}});
  model::NetfsInode& inode = w.create_file({.cache = sim::draw(3) == 0});
  bool done = false;
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    const auto folios = static_cast<std::uint32_t>(s.param("folios"));
    model::netfs_file_write(f, 0, pattern(10, 4096ULL * folios), {.max_folio_order = 0});
    for (std::uint32_t i = 0; s.more("rounds", i); ++i) {
      model::netfs_fsync(f);
      const std::uint32_t first = sim::draw(folios);
      const std::uint32_t n = 1 + sim::draw(folios - first);
      model::netfs_file_write(f, 4096LL * first + sim::draw(100), pattern(20 + i, 4096ULL * n - 200),
                              {.max_folio_order = 0});
      // Cut inside a folio: truncate locks the straddling one, and waits if
      // migration holds it, to find it moved.
      if (sim::draw(2) == 0) model::netfs_truncate(f, 4096LL * (folios / 2 + sim::draw(folios / 2 + 1)) + 1 + sim::draw(4000));
    }
    model::netfs_fsync(f);
    done = true;
  });
  s.spawn("compactor", [&] {
    while (!done) {
      sim::sleep((1 + sim::draw(200)) * sim::kUs);
      model::migrate_mapping(inode.mapping, sim::draw(2) == 0 ? model::MigrateMode::sync : model::MigrateMode::async);
    }
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
