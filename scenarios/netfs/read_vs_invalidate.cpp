// Why: a network filesystem drops its page cache when the server says the
//      file changed (an afs callback break, a Ceph cap revoke:
//      invalidate_inode_pages2 after writing back), while readers and
//      writers go on using it. A reader or writer that found a folio and
//      then slept on its lock must notice that the folio left the mapping
//      meanwhile, drop its reference and look again; one that took the lock
//      before its reference could be handed a freed folio. Reads must still
//      return what was written.
// How: a file on the server; readers read random ranges (some through the
//      mapping: a fault that sleeps on a folio being read must look again
//      if it was dropped meanwhile), a writer rewrites random ranges and now
//      and then truncates inside a folio (truncate must look again for a
//      folio dropped while it waited for its lock), and an invalidator
//      writes back and invalidates the whole page cache at random times.
//      Data integrity judges every read, refcount every folio that left the
//      page cache.
#include "model/netfs/netfs.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_read_vs_invalidate, "netfs/read_vs_invalidate", .pct_steps_hint = 3000,
               .why = "readers and a writer race invalidate_inode_pages2 of the whole page cache",
               .params = {{"ops", 16, 1, 64, "reads of each reader and writes of the writer"},
                          {"drops", 8, 1, 32, "invalidations of the page cache"}}) {
  model::World w({.background_thresh_pages = 4, .dirty_thresh_pages = 64});
  model::NetfsInode& inode = w.create_file({.cache = sim::draw(2) == 0});
  constexpr std::uint64_t kSize = 32 * 1024;
  w.preload(inode, pattern(30, kSize));
  for (std::uint32_t r = 0; r < 2; ++r) {
    s.spawn(r == 0 ? "reader0" : "reader1", [&] {
      model::NetfsFile f = w.open(inode);
      for (std::int64_t i = 0; s.more("ops", i); ++i) {
        const std::uint64_t pos = sim::draw(kSize - 1);
        if (sim::draw(4) == 0) {
          const auto at = static_cast<model::loff_t>(pos);
          if (at < inode.i_size) model::netfs_mmap_read(f, at, std::min<std::uint64_t>(1 + sim::draw(8192), inode.i_size - at));
        } else {
          model::netfs_file_read(f, static_cast<model::loff_t>(pos), 1 + sim::draw(kSize - pos));
        }
        sim::sleep(sim::draw(2) * sim::kMs);
      }
    });
  }
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::int64_t i = 0; s.more("ops", i); ++i) {
      const auto pos = static_cast<model::loff_t>(sim::draw(kSize - 1));
      write_all(f, pos, pattern(31 + static_cast<std::uint32_t>(i), 1 + sim::draw(8192)),
                {.max_folio_order = 2, .random_orders = true});
      // Now and then a cut inside a folio: truncate waits for the lock of
      // the folio it straddles, which the invalidation may hold and drop.
      if (sim::draw(4) == 0) model::netfs_truncate(f, static_cast<model::loff_t>(kSize / 2 + sim::draw(kSize / 2)));
      sim::sleep(sim::draw(3) * sim::kMs);
    }
  });
  s.spawn("invalidator", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::int64_t i = 0; s.more("drops", i); ++i) {
      sim::sleep(sim::draw(5) * sim::kMs);
      model::netfs_invalidate_inode_pages2(f);
    }
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
