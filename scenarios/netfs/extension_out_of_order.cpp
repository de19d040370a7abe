// Why: appends past the server's EOF go out as several subrequests whose
//      completions may arrive in any order; the server sets its size from
//      each write (max(size, end)), so a later write landing first exposes a
//      hole of zeros below it until the earlier one lands. At quiescence no
//      hole may remain unless an error reached the application (N19).
// How: appends of several wsize-sized pieces with widely varying server
//      latency, background writeback racing, swarm faults; the server's file
//      is compared with the shadow at the end.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_extension_out_of_order, "netfs/extension_out_of_order", .pct_steps_hint = 3000,
               .why = "extending writes complete out of order; no hole remains at quiescence") {
  model::World w({.server = {.wsize = 16 * 1024, .credits = 8, .latency_min = 10 * sim::kUs,
                             .latency_max = 20 * sim::kMs},
                  .background_thresh_pages = 4});
  model::NetfsInode& inode = w.create_file();
  s.spawn("appender", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::uint32_t i = 0; i < 6; ++i) {
      const model::loff_t pos = inode.i_size;
      const auto bytes = pattern(70 + i, 8 * 1024 + sim::draw(40 * 1024));
      model::netfs_file_write(f, pos, bytes, {.max_folio_order = 4, .random_orders = true});
    }
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
