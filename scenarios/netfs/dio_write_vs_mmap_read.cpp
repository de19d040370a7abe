// Why: an O_DIRECT write does not hold back page faults: a load through a
//      shared mapping may read a folio in from the server while the write's
//      RPCs are in flight, with the old bytes. The write drops the clean
//      folios of its range before it starts (filemap_invalidate_inode) and
//      again when it is done (netfs_unbuffered_write_done's
//      invalidate_inode_pages2_range), so a load after the write returned
//      sees the new bytes, not the folio read meanwhile. (Not on a file
//      with a local cache: netfs/dio_write_vs_cached_mmap_read, F22.)
// How: a file on the server (half the time opened with FMODE_NOWAIT); a
//      writer sends O_DIRECT writes at random places (half through
//      io_uring, some over bytes it first wrote
//      buffered), each followed by a mapped load of its range; a reader loads
//      random ranges through the mapping all along. Data integrity judges
//      every load against what was written before it began.
#include "model/netfs/netfs.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_dio_write_vs_mmap_read, "netfs/dio_write_vs_mmap_read", .pct_steps_hint = 3000,
               .why = "mapped loads racing O_DIRECT writes see the written bytes once the write returns",
               .params = {{"writes", 6, 1, 32, "O_DIRECT writes of the writer"},
                          {"loads", 10, 1, 64, "mapped loads of the reader"}}) {
  model::World w({.server = {.wsize = 8192, .latency_min = 200 * sim::kUs, .latency_max = 2 * sim::kMs}});
  // Half the time as a filesystem that sets FMODE_NOWAIT (none in-tree
  // does), so io_uring tries the direct writes without blocking first.
  model::NetfsInode& inode = w.create_file({.fmode_nowait = sim::draw(2) == 0});
  constexpr std::uint64_t kSize = 32 * 1024;
  w.preload(inode, pattern(40, kSize));
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::int64_t i = 0; s.more("writes", i); ++i) {
      const std::uint64_t pos = sim::draw(kSize - 1);
      const std::uint64_t len = 1 + sim::draw(std::min<std::uint64_t>(kSize - pos, 12 * 1024));
      // Sometimes a buffered write dirties part of the range first: the
      // O_DIRECT write must write it back before it drops the folios
      // (filemap_invalidate_inode(inode, true, ...)), or it stays cached
      // and its writeback later lands over the direct write's bytes.
      if (sim::draw(3) == 0) {
        const std::uint64_t at = pos + sim::draw(len);
        model::netfs_file_write(f, static_cast<model::loff_t>(at),
                                pattern(90 + static_cast<std::uint32_t>(i), 1 + sim::draw(pos + len - at)), {});
      }
      // Half as io_uring submissions: with FMODE_NOWAIT tried without
      // blocking first (filemap_range_has_page() then decides), else punted
      // to a worker at once.
      model::netfs_unbuffered_write_iter(f, static_cast<model::loff_t>(pos),
                                         pattern(41 + static_cast<std::uint32_t>(i), len), /*aio=*/sim::draw(2) == 0);
      model::netfs_mmap_read(f, static_cast<model::loff_t>(pos), len);
      sim::sleep(sim::draw(2) * sim::kMs);
    }
  });
  spawn_mapped_reader(s, w, inode, kSize);
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
