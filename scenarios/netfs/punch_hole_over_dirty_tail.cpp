// Why: cifs punches a hole without writing the range back first: it drops
//      the cached folios over the hole, dirty or not, and asks the server
//      to zero the range (smb3_punch_hole). When the hole cuts the tail of
//      dirty data that lies past the server's EOF, the write that would
//      have moved the server's EOF to i_size is gone with it, and a punch
//      must not change the file's size. Mainline moves the server's EOF
//      itself, to the lower of the hole's end and i_size ("cifs: Fix
//      FALLOC_FL_PUNCH_HOLE support", found by fsx; the zoo bug
//      netfs-punch-hole-leaves-eof is the code before it). Whether the
//      flusher wrote the tail back before the punch decides the outcome.
// How: a file on the server; a writer extends it with buffered writes and
//      punches holes that reach into or over the new tail, with the
//      flusher writing back in the background (a low threshold) and swarm
//      faults. Data integrity compares the server's file with the
//      application's at quiescence, size included.
#include "model/netfs/netfs.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_punch_hole_over_dirty_tail, "netfs/punch_hole_over_dirty_tail", .pct_steps_hint = 1500,
               .why = "a hole punched over dirty data past the server's EOF must leave the file's size",
               .params = {{"ops", 4, 1, 32, "extending writes, each followed by a hole punch"}}) {
  model::World w({.background_thresh_pages = 2, .dirty_thresh_pages = 64});
  model::NetfsInode& inode = w.create_file();
  w.preload(inode, pattern(70, 3 * 4096 + 300));
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::int64_t i = 0; s.more("ops", i); ++i) {
      const auto size = static_cast<std::uint64_t>(inode.i_size);
      const std::uint64_t len = 1 + sim::draw(3 * 4096);
      const auto at = static_cast<model::loff_t>(size - sim::draw(2048));
      write_all(f, at, pattern(71 + static_cast<std::uint32_t>(i), len), {});
      sim::sleep(sim::draw(3) * sim::kMs);  // the flusher may write the tail back first
      // A hole from somewhere below the old EOF to the new one or past it.
      const std::uint64_t end = static_cast<std::uint64_t>(inode.i_size) + sim::draw(2) * sim::draw(4096);
      const std::uint64_t from = size - sim::draw(4096);
      SIM_ASSERT_CMP(model::netfs_range_op(f, model::RangeOp::punch_hole, static_cast<model::loff_t>(from), end - from,
                                           0, true), ==, 0);
      model::netfs_file_read(f, 0, static_cast<std::uint64_t>(inode.i_size));
    }
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
