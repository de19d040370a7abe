// Why: an unbuffered (O_DIRECT-like) write goes through the same issuer on
//      the upload stream only; when a subrequest fails the request is paused
//      (NETFS_RREQ_PAUSE), the writer must stop producing subrequests until
//      the collector makes progress and clears it, and the retried data must
//      land exactly once. zero_point must cover what was written.
// How: a small wsize makes many subrequests; the first replies are -EAGAIN;
//      an unbuffered writer and a buffered writer share the file.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_unbuffered_write_pause, "netfs/unbuffered_write_pause", .step_budget = 50'000,
               .pct_steps_hint = 3000,
               .why = "unbuffered writes wait on PAUSE and retry through the issuer") {
  model::World w({.server = {.wsize = 8 * 1024, .credits = 2}});
  model::NetfsInode& inode = w.create_file();
  w.server().fail_next(model::kEAGAIN);
  s.spawn("direct", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::uint32_t i = 0; i < 3; ++i) {
      const model::loff_t pos = static_cast<model::loff_t>(i * 64 * 1024);
      const auto bytes = pattern(50 + i, 48 * 1024);
      const std::int64_t r = model::netfs_unbuffered_write_iter(f, pos, bytes);
      // A failed upload shows as a short write or an error; what landed
      // past the returned count is unknown.
      if (r != static_cast<std::int64_t>(bytes.size())) continue;
      SIM_ASSERT_CMP(inode.zero_point, >=, pos + static_cast<model::loff_t>(bytes.size()));
      if (i == 0) w.server().fail_next(model::kEAGAIN);
    }
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
