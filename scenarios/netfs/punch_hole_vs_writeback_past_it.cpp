// Why: when a hole punched over dirty data reaches past the server's EOF,
//      cifs moves the server's EOF itself, to the lower of the hole's end
//      and i_size (smb3_punch_hole, since "cifs: Fix FALLOC_FL_PUNCH_HOLE
//      support"). It decides from remote_i_size, which a write raises only
//      when its reply comes back. The inode lock and the invalidate lock it
//      holds do not hold off writeback of the dirty data past the hole: a
//      write there that reaches the server before the SET_EOF is cut off
//      by it, and its folios are already clean, so the data is lost with
//      no error (F25; the known finding netfs-punch-hole-eof-cuts-writeback).
//      Found by replaying fsx logs recorded on ext4 under faults.
// How: a file on the server; the application extends it well past its
//      end, a syncer writes it back, and the application punches a hole
//      from below the old EOF to inside the new data while that writeback
//      may be in flight (the syncer starts once the punch has). Ordered extension and data integrity judge.
#include "model/netfs/netfs.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_punch_hole_vs_writeback_past_it, "netfs/punch_hole_vs_writeback_past_it",
               .expect = sim::Expect::fail_sometimes, .expect_checker = "data-integrity",
               .pct_steps_hint = 800,
               .why = "a hole punch's EOF move cuts off a write past the hole that reached the server first (F25)") {
  model::World w({.server = {.latency_min = sim::kMs, .latency_max = 2 * sim::kMs}});
  model::NetfsInode& inode = w.create_file();
  constexpr std::uint64_t kSize = 2 * 4096 + 100;
  w.preload(inode, pattern(90, kSize));
  bool written = false;
  bool punching = false;
  s.spawn("app", [&] {
    model::NetfsFile f = w.open(inode);
    write_all(f, static_cast<model::loff_t>(kSize + 4096), pattern(91, 3 * 4096), {});
    written = true;
    sim::sleep(sim::draw(3000) * sim::kUs);
    const auto from = static_cast<model::loff_t>(kSize - 1 - sim::draw(2048));
    const auto end = static_cast<model::loff_t>(kSize + 1 + sim::draw(4096));
    punching = true;
    SIM_ASSERT_CMP(model::netfs_range_op(f, model::RangeOp::punch_hole, from, static_cast<std::uint64_t>(end - from), 0,
                                         true), ==, 0);
    model::netfs_fsync(f);
  });
  s.spawn("syncer", [&] {
    model::NetfsFile f = w.open(inode);
    while (!written) sim::sleep(100 * sim::kUs);
    // Since dba9f997c9d9 the punch waits for writeback in flight when it
    // starts, so the write that gets cut is one started while the punch's
    // zeroing RPC is on the wire.
    while (!punching) sim::sleep(100 * sim::kUs);
    sim::sleep(sim::draw(500) * sim::kUs);
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
