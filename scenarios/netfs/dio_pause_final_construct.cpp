// Why: a finding in the shape of mainline from 6.10 through 7.0-rc2, gone
//      since "netfs: Fix unbuffered/DIO writes to dispatch subrequests in
//      strict sequence" (7.0-rc3); its zoo line netfs-unbuffered-write-pause-
//      issuer takes the old issuer. That unbuffered issuer
//      (netfs_unbuffered_write) checked PAUSE after every
//      part, the last one included, and the last part may leave a partial
//      subrequest under construction: prepared, on the stream's list with
//      IN_PROGRESS set, not yet issued (netfs_end_issue_write would issue
//      it). If an earlier subrequest failed with a retriable error, the
//      issuer now waits for PAUSE to clear, while the collector's retry
//      (netfs_retry_writes) first waits for every listed subrequest's
//      IN_PROGRESS to clear, the unissued one included. Neither can move.
// How: an unbuffered write of a few wsize pieces and a short tail, send
//      credits scarce so the tail's ->prepare_write waits, the first RPC
//      failing with -EAGAIN meanwhile. With the old issuer it deadlocks on
//      about a third of the seeds; mainline's strict sequence must not.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_dio_pause_final_construct, "netfs/dio_pause_final_construct", .faults = false,
               .why = "the old unbuffered issuer waited on PAUSE over an unissued tail (historical finding)") {
  model::World w({.server = {.wsize = 8 * 1024, .credits = 1 + sim::draw(2), .latency_min = 100 * sim::kUs,
                             .latency_max = 2 * sim::kMs}});
  model::NetfsInode& inode = w.create_file();
  w.server().fail_next(model::kEAGAIN);
  s.spawn("direct", [&] {
    model::NetfsFile f = w.open(inode);
    model::netfs_unbuffered_write_iter(f, 0, pattern(80, 8 * 1024 * (1 + sim::draw(3)) + 1 + sim::draw(4000)));
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
