// Why: a finding in mainline's shape (docs/findings.md). When the collector
//      retries a contiguous span of NEED_RETRY subrequests on a filesystem
//      that renegotiates sizes (->prepare_write: cifs), netfs_retry_write_
//      stream() re-splits the span over the existing subrequests and
//      discards the surplus. If the span needs exactly one subrequest fewer,
//      the walk stops with `subreq` on the last one (`to`) without having
//      reissued it, and the "same number used" test (subreq == to) skips
//      the discard: `to` stays listed with NEED_RETRY and its old range
//      while the reissued subrequest before it covers that range too. The
//      collector then retries `to` again after the folios it covers may
//      have ended writeback and left the rolling buffer.
// How: a cifs-like file; a buffered write of one full wsize RPC and a short
//      tail RPC; the server stores only part of the first and answers the
//      tail with -EAGAIN; the retry fits both in one subrequest.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_retry_resplit_one_fewer, "netfs/retry_resplit_one_fewer", .expect = sim::Expect::fail_always,
               .expect_checker = "request-state", .faults = false,
               .why = "a retry re-split needing one subrequest fewer leaves the last listed (finding)") {
  constexpr std::uint64_t kWsize = 16 * 1024;
  model::World w({.server = {.wsize = kWsize, .credits = 4, .latency_min = sim::kMs, .latency_max = sim::kMs}});
  model::NetfsInode& inode = w.create_file();
  const std::uint64_t tail = 1 + sim::draw(4096);
  const std::uint64_t stored = tail + sim::draw(static_cast<std::uint32_t>(kWsize - tail));
  w.server().script_replies({{.max_bytes = stored}, {.error = model::kEAGAIN}});
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    write_all(f, 0, pattern(141, kWsize + tail), {.max_folio_order = 0});
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
