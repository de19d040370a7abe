// Why: a fault or a truncate that finds a folio, takes a reference and
//      sleeps on its lock may wake to find the folio gone from the page
//      cache: dropped by invalidate_inode_pages2 (the server said the file
//      changed) or cut by a truncate. It must unlock, drop its reference and
//      look again (filemap_fault's and __filemap_get_folio's "truncated
//      meanwhile" retry); one that goes on reads a folio no longer in the
//      file, one that forgets its reference leaks the folio.
// How: a small file on the server with slow replies, so folios being read
//      stay locked and not uptodate long enough to be waited on; two fibers
//      read it through the mapping a few bytes at a time, one truncates it
//      inside a folio and writes it back to its size, one drops the page
//      cache. Data integrity judges every read, refcount every folio that
//      left the page cache.
#include "model/netfs/netfs.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_fault_vs_invalidate, "netfs/fault_vs_invalidate", .pct_steps_hint = 2000,
               .why = "faults and truncate look again for a folio dropped while they waited for its lock",
               .params = {{"ops", 12, 1, 64, "mapped reads of each reader, truncates, invalidations"}}) {
  model::World w({.server = {.latency_min = sim::kMs, .latency_max = 3 * sim::kMs}});
  model::NetfsInode& inode = w.create_file();
  constexpr std::uint64_t kSize = 4 * 4096;
  w.preload(inode, pattern(40, kSize));
  for (std::uint32_t r = 0; r < 2; ++r) {
    s.spawn(r == 0 ? "faulter0" : "faulter1", [&] {
      model::NetfsFile f = w.open(inode);
      for (std::int64_t i = 0; s.more("ops", i); ++i) {
        const auto at = static_cast<model::loff_t>(sim::draw(kSize));
        if (at < inode.i_size) model::netfs_mmap_read(f, at, 1 + sim::draw(64));
        sim::sleep(sim::draw(1000) * sim::kUs);
      }
    });
  }
  s.spawn("truncater", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::int64_t i = 0; s.more("ops", i); ++i) {
      const auto cut = static_cast<model::loff_t>(1 + sim::draw(kSize - 1));
      model::netfs_truncate(f, cut);
      sim::sleep(sim::draw(1000) * sim::kUs);
      const model::loff_t size = inode.i_size;
      write_all(f, size, pattern(50 + static_cast<std::uint32_t>(i), kSize - static_cast<std::uint64_t>(size)), {});
    }
  });
  s.spawn("invalidator", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::int64_t i = 0; s.more("ops", i); ++i) {
      sim::sleep(sim::draw(1000) * sim::kUs);
      model::netfs_invalidate_inode_pages2(f);
    }
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
