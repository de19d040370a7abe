// Why: copy_file_range on cifs moves the server's EOF past the copy's
//      source when remote_i_size is short of it (cifs_precopy_set_eof):
//      SET_EOF to i_size, then netfs_resize_file(src_end), which notes
//      src_end as the server's size and brings zero_point down to it. The
//      inode lock it holds does not hold writeback off: a write past the
//      source whose reply came back while SET_EOF was on the wire had
//      moved remote_i_size beyond src_end, and the resize takes it back
//      below data the server holds. Once such a clean folio is reclaimed
//      (drop_caches here; memory pressure in the fsx replay that found it),
//      a read past zero_point fills it with zeros instead of asking the
//      server (F26; the known finding netfs-precopy-set-eof-lowers-remote-size).
// How: a file on the server; the application extends it well past its end,
//      a syncer writes that back, and the application copies a range that
//      crosses the old EOF while the writeback may be in flight, then syncs,
//      drops the clean folios and reads the file back. Data integrity
//      judges the read.
#include "model/mm/truncate.h"
#include "model/netfs/netfs.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_copy_range_vs_writeback_past_source, "netfs/copy_range_vs_writeback_past_source",
               .expect = sim::Expect::fail_sometimes, .expect_checker = "data-integrity", .pct_steps_hint = 800,
               .why = "copy_file_range's EOF move notes the source's end as the server's size below a write that "
                      "landed meanwhile (F26)") {
  model::World w({.server = {.latency_min = sim::kMs, .latency_max = 2 * sim::kMs}});
  model::NetfsInode& inode = w.create_file();
  constexpr std::uint64_t kSize = 2 * 4096 + 100;
  constexpr std::uint64_t kTail = 3 * 4096;
  w.preload(inode, pattern(92, kSize));
  bool written = false;
  s.spawn("app", [&] {
    model::NetfsFile f = w.open(inode);
    write_all(f, static_cast<model::loff_t>(kSize + 4096), pattern(93, kTail), {});
    written = true;
    // The syncer starts its fsync 0 to 2 ms before the copy, so its write's
    // reply may come back while the copy's SET_EOF is on the wire.
    sim::sleep(3 * sim::kMs);
    // The source crosses the server's old EOF and stops short of the new data.
    const auto src = static_cast<model::loff_t>(kSize - 1000);
    SIM_ASSERT_CMP(model::netfs_range_op(f, model::RangeOp::copy_range, src, 2000, 0, false), ==, 0);
    model::netfs_fsync(f);
    // drop_caches: the clean folios go, and a read brings them back.
    model::invalidate_mapping_pages(inode.mapping, 0, ~model::pgoff_t{0});
    model::netfs_file_read(f, 0, kSize + 4096 + kTail);
  });
  s.spawn("syncer", [&] {
    model::NetfsFile f = w.open(inode);
    while (!written) sim::sleep(100 * sim::kUs);
    sim::sleep((1000 + sim::draw(2000)) * sim::kUs);
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
