// Why: when a retry finds the server's write size smaller (a reconnect
//      renegotiated it), the span must be re-split over the existing
//      subrequests and extra subrequests inserted after them (the branch of
//      "netfs: Fix ref leak on inserted extra subreq in write retry"), with
//      credits taken again for each.
// How: wsize 64 KiB and few credits; the first replies fail with -EAGAIN so
//      the filesystem marks them NEED_RETRY; the wsize is cut to 8 KiB before
//      the retry. Writes are large; a cache stream runs alongside.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_retry_shrinking_credits, "netfs/retry_shrinking_credits", .pct_steps_hint = 3000,
               .why = "a retry with a smaller wsize re-splits and inserts subrequests",
               .params = {{"kib", 128, 1, 1024, "KiB written before the fsync"},
                          {"retry_wsize_kib", 8, 1, 64, "the server's wsize (KiB) once the first write is out"}}) {
  model::World w({.server = {.wsize = 64 * 1024, .credits = 2}});
  model::NetfsInode& inode = w.create_file({.cache = sim::draw(2) == 0});
  w.server().fail_next(model::kEAGAIN);
  w.server().fail_next(model::kEAGAIN);
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    const auto bytes = pattern(2, static_cast<std::uint64_t>(s.param("kib")) * 1024);
    model::netfs_file_write(f, 0, bytes, {.max_folio_order = 4});
    w.server().set_wsize(static_cast<std::uint64_t>(s.param("retry_wsize_kib")) * 1024);
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
