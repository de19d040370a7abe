// Why: a direct read writes the page cache back over its range and then
//      reads the server, under netfs_start_io_direct; an asynchronous one
//      returns -EIOCBQUEUED with i_dio_count raised and the inode lock
//      dropped, so a buffered op that comes next must wait in
//      netfs_block_o_direct (inode_dio_wait) until its completion (D1). What
//      the read returns must be what the application wrote, including bytes
//      still dirty in the page cache when the read began.
// How: a buffered writer (some writes extending the file), a mapped writer
//      and two direct readers (synchronous and io_submit) over the same
//      16 KiB, the server's I/O size smaller than a read so reads are sliced;
//      swarm faults stall the server and reclaim. The counts are
//      parameters, so a shrunk failure keeps only the operations it needs.
#include "model/netfs/netfs.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_dio_read_vs_buffered, "netfs/dio_read_vs_buffered", .pct_steps_hint = 3000,
               .why = "direct reads, sync and AIO, against buffered and mapped writers stay coherent and exclusive",
               .params = {{"writes", 3, 1, 32, "buffered writes (each maybe followed by a read) of the writer"},
                          {"stores", 2, 1, 32, "mapped stores of the mapped writer"},
                          {"reads", 2, 1, 32, "direct reads of each direct reader"}}) {
  model::World w({.server = {.wsize = 4 * 1024 * (1 + sim::draw(2)), .latency_min = 10 * sim::kUs,
                             .latency_max = 2 * sim::kMs}});
  model::NetfsInode& inode = w.create_file({});
  w.preload(inode, pattern(1, 12 * 1024));
  s.spawn("buffered", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::int64_t k = 0; s.more("writes", k); ++k) {
      const auto pos = static_cast<model::loff_t>(sim::draw(16) * 1024);
      write_all(f, pos, pattern(static_cast<std::uint32_t>(10 + k), 512 + sim::draw(4096)), {});
      if (sim::draw(2) == 0) model::netfs_file_read(f, 0, 16 * 1024);
    }
  });
  s.spawn("mapped", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::int64_t k = 0; s.more("stores", k); ++k) {
      const auto pos = static_cast<model::loff_t>(sim::draw(8) * 1024);
      model::netfs_mmap_write(f, pos, pattern(static_cast<std::uint32_t>(20 + k), 1 + sim::draw(2048)));
    }
  });
  for (std::uint32_t r = 0; r < 2; ++r) {
    s.spawn(fmt::format("direct{}", r), [&, r] {
      model::NetfsFile f = w.open(inode);
      for (std::int64_t k = 0; s.more("reads", k); ++k) {
        std::vector<std::uint8_t> out;
        const auto pos = static_cast<model::loff_t>(sim::draw(4) * 4096);
        const std::int64_t ret =
            model::netfs_unbuffered_read_iter(f, pos, 4096 * (1 + sim::draw(3)), out, /*aio=*/r == 1);
        SIM_ASSERT_CMP(ret < 0 ? 0 : ret, ==, static_cast<std::int64_t>(out.size()));
      }
    });
  }
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
