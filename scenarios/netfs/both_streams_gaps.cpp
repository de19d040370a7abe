// Why: with a cache, every folio goes to both the upload and the cache
//      stream, whose subrequests do not align; with gaps between dirty
//      folios, both streams must issue at each discontiguity and the
//      collector must jump each stream over the gaps. A folio's writeback may
//      end only when both streams have passed it (N3), and the server must
//      end up with exactly what was written.
// How: scattered buffered writes (folios of random order, page-aligned and
//      not) into a cached file, background writeback racing the writer, then
//      fsync; swarm faults on the server and cache. After a heal phase a last
//      fsync must succeed and the server must match the shadow, unless an
//      error was reported to the application.
#include "scenarios/netfs_support.h"
#include "scenarios/registry.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_both_streams_gaps, "netfs/both_streams_gaps", .pct_steps_hint = 3000,
               .why = "upload and cache streams with gaps; writeback ends only when both passed") {
  model::World w;
  model::NetfsInode& inode = w.create_file({.cache = true});
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    model::WriteOptions opts{.max_folio_order = 2, .random_orders = true};
    for (std::uint32_t i = 0; i < 8; ++i) {
      // Every other 16 KiB slot, so there are clean gaps between dirty runs.
      const model::loff_t pos = static_cast<model::loff_t>(sim::draw(8) * 2 * 16384 + sim::draw(2) * 4096);
      const std::uint64_t len = 4096 * (1 + sim::draw(4));
      const auto bytes = pattern(i, len);
      SIM_ASSERT_CMP(write_all(f, pos, bytes, opts), ==, static_cast<std::int64_t>(len));
    }
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
