// Why: a writethrough (O_SYNC) append must first flush dirty data in its
//      range, appends included ("netfs: Fix writethrough to flush first"),
//      start writeback on each folio as it copies, and return only when the
//      server has the data; it must not tangle with background writeback of
//      a folio it appends into.
// How: buffered writes leave the tail folio dirty, background writeback
//      starts on it, and writethrough appends land in and after that folio;
//      a second writer keeps dirtying earlier data; asynchronous
//      writethroughs into the middle of the file, around stores through a
//      mapping, must complete with no more than the bytes asked for.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_writethrough_append, "netfs/writethrough_append", .pct_steps_hint = 3000,
               .why = "writethrough appends flush first and wait for the server",
               .params = {{"rounds", 4, 1, 32, "rounds of a buffered append, a writethrough append, maybe an aio writethrough"}}) {
  model::World w({.background_thresh_pages = 1, .dirty_thresh_pages = 64});
  model::NetfsInode& inode = w.create_file();
  s.spawn("appender", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::uint32_t i = 0; s.more("rounds", i); ++i) {
      const model::loff_t pos = inode.i_size;
      const auto buffered = pattern(30 + i, 1000 + sim::draw(5000));
      model::netfs_file_write(f, pos, buffered, {.max_folio_order = 1});
      const model::loff_t at = inode.i_size;
      const auto through = pattern(40 + i, 1 + sim::draw(9000));
      const std::uint32_t errors_before = inode.mapping.wb_err_seq;
      const std::int64_t r = model::netfs_file_write(f, at, through, {.writethrough = true, .max_folio_order = 1});
      // A failed upload reaches the application through fsync (and as the
      // return value only when nothing at all was transferred).
      if (r >= 0 && inode.mapping.wb_err_seq == errors_before) {
        // On return the server holds the appended bytes the write counted
        // (a user page reclaimed before its copy makes the write short).
        const auto& server = w.server().file(0).data;
        const auto n = static_cast<std::size_t>(r);
        SIM_ASSERT_CMP(n, <=, through.size());
        SIM_ASSERT_CMP(server.size(), >=, static_cast<std::size_t>(at) + n);
        for (std::size_t k = 0; k < n; ++k) SIM_ASSERT_CMP(server[at + k], ==, through[k]);
      }
      if (sim::draw(2) == 0 && inode.i_size > 4096) {
        // An asynchronous (io_uring) writethrough into the middle of the
        // file, after a store through the mapping dirtied the folio around
        // it: the request sends whole folios, more than was asked for, and
        // ki_complete must still report only the caller's bytes.
        const auto len = 1 + sim::draw(3000);
        const model::loff_t mid = static_cast<model::loff_t>(sim::draw(static_cast<std::uint32_t>(inode.i_size - len)));
        model::netfs_mmap_write(f, mid - mid % 4096, pattern(50 + i, 64));
        const auto bytes = pattern(60 + i, len);
        model::netfs_file_write(f, mid, bytes, {.writethrough = true, .max_folio_order = 1, .aio = true});
      }
    }
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
