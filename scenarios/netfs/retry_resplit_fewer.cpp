// Why: when the server allows larger writes by the time the collector
//      retries (a reconnect renegotiated a bigger wsize), the re-split of a
//      span of NEED_RETRY subrequests needs fewer of them, and the surplus
//      ones are discarded from the stream's list (two or more fewer; one
//      fewer is the pinned finding of netfs/retry_resplit_one_fewer).
// How: a cifs-like file with a 4 KiB wsize; a buffered write of four RPCs;
//      the server stores part of the first and answers the others with
//      -EAGAIN, and its wsize grows before the retry.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_retry_resplit_fewer, "netfs/retry_resplit_fewer", .faults = false,
               .why = "a retry with a larger wsize discards the surplus subrequests") {
  model::World w({.server = {.wsize = 4096, .credits = 8, .latency_min = sim::kMs, .latency_max = sim::kMs}});
  model::NetfsInode& inode = w.create_file();
  const std::uint32_t rpcs = 3 + sim::draw(3);
  w.server().script_replies({{.max_bytes = 1 + sim::draw(4095)}});
  for (std::uint32_t i = 1; i < rpcs; ++i) w.server().script_replies({{.error = model::kEAGAIN}});
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    write_all(f, 0, pattern(151, 4096ull * rpcs), {.max_folio_order = 0});
    model::netfs_fsync(f);
  });
  s.spawn("reconnect", [&] {
    sim::sleep(500 * sim::kUs);
    w.server().set_wsize(64 * 1024);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
