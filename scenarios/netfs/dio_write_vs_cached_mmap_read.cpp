// Why: on a file with a local cache, a folio read from the server is marked
//      for copying to the cache: dirty, with NETFS_FOLIO_COPY_TO_CACHE. An
//      O_DIRECT write drops the folios of its range before it starts
//      (filemap_invalidate_inode) and again when it is done
//      (netfs_unbuffered_write_done), but invalidate_inode_pages2_range()
//      drops no dirty folio (netfs_release_folio() refuses it, and netfs
//      mappings have no ->launder_folio). A mapped load whose read was in
//      flight when the write began leaves such a folio over the range with
//      the old bytes, and loads after the write returned read them
//      (docs/findings.md F22).
// How: netfs/dio_write_vs_mmap_read on a cached file: a writer sends
//      O_DIRECT writes, each followed by a mapped load of its range, while a
//      reader loads random ranges through the mapping. Data integrity judges
//      every load against what was written before it began; some seeds fail
//      on the finding's path, the others pass. Server short writes stay off:
//      an unbuffered write retried after one meets the pinned finding of
//      netfs/dio_short_write_retry.
#include "model/netfs/netfs.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_dio_write_vs_cached_mmap_read, "netfs/dio_write_vs_cached_mmap_read",
               .expect = sim::Expect::fail_sometimes, .expect_checker = "data-integrity", .pct_steps_hint = 3000,
               .fault_sites_off = "server.short_write",
               .why = "a folio read for the cache survives an O_DIRECT write's invalidations (finding)",
               .params = {{"writes", 6, 1, 32, "O_DIRECT writes of the writer"},
                          {"loads", 10, 1, 64, "mapped loads of the reader"}}) {
  model::World w({.server = {.wsize = 8192, .latency_min = 200 * sim::kUs, .latency_max = 2 * sim::kMs}});
  model::NetfsInode& inode = w.create_file({.cache = true});
  constexpr std::uint64_t kSize = 32 * 1024;
  w.preload(inode, pattern(140, kSize));
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::int64_t i = 0; s.more("writes", i); ++i) {
      const std::uint64_t pos = sim::draw(kSize - 1);
      const std::uint64_t len = 1 + sim::draw(std::min<std::uint64_t>(kSize - pos, 12 * 1024));
      model::netfs_unbuffered_write_iter(f, static_cast<model::loff_t>(pos),
                                         pattern(141 + static_cast<std::uint32_t>(i), len));
      model::netfs_mmap_read(f, static_cast<model::loff_t>(pos), len);
      sim::sleep(sim::draw(2) * sim::kMs);
    }
  });
  spawn_mapped_reader(s, w, inode, kSize);
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
