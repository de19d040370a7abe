// Why: a hole punch on a network filesystem drops the cached folios over the
//      hole, then asks the server to punch it (cifs: smb3_punch_hole). The
//      inode lock holds read(2) off meanwhile, not a page fault: a fault in
//      between reads the range back from the server before the hole is
//      there, and the page cache keeps the old bytes after the punch has
//      returned. Mainline holds the mapping's invalidate lock across the
//      drop and the server's change, which a fault takes shared before it
//      reads a folio in ("cifs: Fix race between hole punch and page
//      fault"; the zoo bug netfs-punch-hole-faults-in-stale-data is the
//      code before it).
// How: a file on a server with slow replies; two fibers read it through the
//      mapping at random places, one punches holes and zeroes ranges.
//      Data integrity judges every read: a read that began after a punch
//      returned must see its zeros.
#include "model/netfs/netfs.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_fault_vs_punch_hole, "netfs/fault_vs_punch_hole", .pct_steps_hint = 2000,
               .why = "a fault between a hole punch's drop and the server's change reads stale bytes back in",
               .params = {{"ops", 10, 1, 64, "mapped reads of each reader, and hole punches"}}) {
  model::World w({.server = {.latency_min = sim::kMs, .latency_max = 3 * sim::kMs}});
  model::NetfsInode& inode = w.create_file();
  constexpr std::uint64_t kSize = 4 * 4096;
  w.preload(inode, pattern(60, kSize));
  for (std::uint32_t r = 0; r < 2; ++r) {
    s.spawn(r == 0 ? "faulter0" : "faulter1", [&] {
      model::NetfsFile f = w.open(inode);
      for (std::int64_t i = 0; s.more("ops", i); ++i) {
        const auto at = static_cast<model::loff_t>(sim::draw(kSize));
        model::netfs_mmap_read(f, at, 1 + sim::draw(64));
        sim::sleep(sim::draw(1000) * sim::kUs);
      }
    });
  }
  s.spawn("puncher", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::int64_t i = 0; s.more("ops", i); ++i) {
      const auto at = static_cast<model::loff_t>(sim::draw(kSize / 512)) * 512;
      const std::uint64_t len = 512 * (1 + sim::draw(8));
      const model::RangeOp op = sim::draw(4) == 0 ? model::RangeOp::zero_range : model::RangeOp::punch_hole;
      SIM_ASSERT_CMP(model::netfs_range_op(f, op, at, len, 0, true), ==, 0);
      sim::sleep(sim::draw(1000) * sim::kUs);
    }
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
