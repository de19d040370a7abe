// Why: the unbuffered issuer of 6.10 through 7.0-rc2 (a historical variant:
//      mainline dispatches in strict sequence since "netfs: Fix
//      unbuffered/DIO writes to dispatch subrequests in strict sequence").
//      An unbuffered (O_DIRECT-like) write went through the writeback issuer
//      on the upload stream only; when a subrequest failed the request was
//      paused (NETFS_RREQ_PAUSE), the writer had to stop producing
//      subrequests until the collector made progress and cleared it, and the
//      retried data had to land exactly once. zero_point must cover what was
//      written. Three zoo bugs of that issuer run here.
// How: a small wsize makes many subrequests; the first replies are -EAGAIN;
//      an unbuffered writer and a buffered writer share the file.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_unbuffered_write_pause, "netfs/unbuffered_write_pause", .step_budget = 50'000,
               .pct_steps_hint = 3000,
               .variants = "netfs-unbuffered-write-pause-issuer",
               .why = "the 6.10-7.0-rc2 unbuffered issuer waits on PAUSE and retries through the collector",
               .params = {{"writes", 3, 1, 16, "unbuffered writes, 64 KiB apart"},
                          {"kib", 48, 1, 64, "KiB per write"}}) {
  model::World w({.server = {.wsize = 8 * 1024, .credits = 2}});
  model::NetfsInode& inode = w.create_file();
  w.server().fail_next(model::kEAGAIN);
  s.spawn("direct", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::uint32_t i = 0; s.more("writes", i); ++i) {
      const model::loff_t pos = static_cast<model::loff_t>(i * 64 * 1024);
      const auto bytes = pattern(50 + i, static_cast<std::uint64_t>(s.param("kib")) * 1024);
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
