// Why: a finding in mainline's shape (docs/findings.md, F14). The retry of
//      a writeback request (netfs_retry_write_stream in write_retry.c, the
//      path with ->prepare_write) sets stream->sreq_max_len to the span it
//      re-splits and then waits in ->prepare_write for a send credit (cifs:
//      wait_mtu_credits). The issuer of the same request may meanwhile be
//      building its next subrequest (netfs_advance_write in write_issue.c),
//      whose own credit covered the wsize: it grows to the retry's span and
//      is sent larger than the wsize. cifs's adjust_credits would refuse it
//      (-EOPNOTSUPP, "request has less credit than required").
// How: many order-0 folios written back in one fsync over one send credit
//      and a small wsize, the server asking for a retry (-EAGAIN) of some
//      RPCs; server-protocol sees an RPC past the wsize on some seeds.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_retry_grows_issuing_subreq, "netfs/retry_grows_issuing_subreq",
               .expect = sim::Expect::fail_sometimes, .expect_checker = "server-protocol", .faults = false,
               .why = "a retry re-split lets the subrequest the issuer is building grow past wsize (finding)") {
  constexpr std::uint64_t kWsize = 4096;
  model::World w({.server = {.wsize = kWsize, .credits = 1, .latency_min = 10 * sim::kUs,
                             .latency_max = 3 * sim::kMs}});
  model::NetfsInode& inode = w.create_file();
  for (int i = 0; i < 8; ++i) {
    if (sim::draw(2) == 0) {
      w.server().script_replies({model::RemoteServer::Reply{}});
    } else {
      w.server().script_replies({model::RemoteServer::Reply{.error = model::kEAGAIN}});
    }
  }
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    write_all(f, 0, pattern(73, 32 * kWsize), {.max_folio_order = 0});
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
