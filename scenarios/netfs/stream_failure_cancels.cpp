// Why: once a subrequest of the upload stream fails permanently, the stream
//      is failed: the later subrequests are cancelled (their range counts as
//      collected), every folio still ends writeback, the mapping error is
//      set, and fsync reports it; nothing stays in progress.
// How: a write spanning many subrequests (small wsize); the server fails
//      one RPC with -EIO, chosen at random among the first few.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_stream_failure_cancels, "netfs/stream_failure_cancels", .faults = false,
               .why = "a failed upload stream cancels later subrequests and reports the error") {
  model::World w({.server = {.wsize = 8 * 1024, .credits = 4}});
  model::NetfsInode& inode = w.create_file();
  for (std::uint32_t i = sim::draw(3); i > 0; --i) w.server().short_write_next(8 * 1024);  // full-length replies
  w.server().fail_next(model::kEIO);
  int err = 0;
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    model::netfs_file_write(f, 0, pattern(85, 64 * 1024), {.max_folio_order = 2});
    err = model::netfs_fsync(f);
    w.shutdown();
  });
  s.run();
  SIM_ASSERT_CMP(err, ==, model::kEIO);
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
