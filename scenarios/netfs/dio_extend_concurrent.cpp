// Why: unbuffered writes share the inode lock, so several extending ones
//      can be in flight at once and complete in any order. Each decides at
//      completion whether it extended the file; the test and the update of
//      i_size must be one step, or a smaller extension completing last
//      shrinks i_size below a larger one that already completed ("netfs:
//      Fix i_size updating").
// How: writers append disjoint ranges past EOF concurrently with widely
//      varying server latency; i_size must never go down and must cover
//      every write that returned. Some writes are asynchronous (io_uring):
//      netfs_unbuffered_write_async runs them on a workqueue and ki_complete
//      reports them. No swarm faults: latency alone reorders completions.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_dio_extend_concurrent, "netfs/dio_extend_concurrent", .faults = false, .pct_steps_hint = 2000,
               .why = "concurrent extending unbuffered writes never shrink i_size",
               .params = {{"rounds", 2, 1, 8, "extending writes per writer"}}) {
  model::World w({.server = {.wsize = 8 * 1024, .credits = 8, .latency_min = 10 * sim::kUs,
                             .latency_max = 5 * sim::kMs}});
  model::NetfsInode& inode = w.create_file({.prepare_write = sim::draw(2) == 0});
  const std::uint32_t writers = 2 + sim::draw(2);
  for (std::uint32_t k = 0; k < writers; ++k) {
    s.spawn(fmt::format("direct{}", k), [&, k] {
      model::NetfsFile f = w.open(inode);
      for (std::uint32_t round = 0; s.more("rounds", round); ++round) {
        // Slot (round, k): disjoint ranges, each past the others' starts.
        const model::loff_t pos = static_cast<model::loff_t>((round * writers + k) * 24 * 1024);
        // Some as io_uring submissions: completed (i_size updated,
        // ki_complete called) from a workqueue, not by the writer.
        model::netfs_unbuffered_write_iter(f, pos, pattern(70 + round * writers + k, 4096 + sim::draw(16 * 1024)),
                                           /*aio=*/sim::draw(2) == 0);
      }
    });
  }
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
