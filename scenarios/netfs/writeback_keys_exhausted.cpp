// Why: afs sends writeback under the keys of the users who wrote the file
//      (vnode->wb_keys) and, when the server refuses one (-EACCES: an ACL
//      change, a revoked token), rotates to the next through netfs's retry:
//      afs_issue_write_worker() marks the refused subrequest NEED_RETRY while
//      the request holds a key record, and afs_retry_request() takes the
//      next key before the stream is resent.
//
// netfs/writeback_keys_exhausted*: a finding in mainline's shape
//      (docs/findings.md F20). When the server has refused the last key,
//      afs_retry_request() marks the upload stream failed with no error
//      (stream->error stays 0, nothing calls mapping_set_error()) and
//      netfs_retry_write_stream() reissues nothing. netfs_retry_writes()
//      waited for every subrequest first, and the collector returns after a
//      retry without looking again, so:
//      - netfs/writeback_keys_exhausted: with every subrequest issued, no
//        termination ever wakes the collector again: the request never
//        completes and writeback of its folios never ends (fsync hangs);
//      - netfs/writeback_keys_exhausted_while_issuing: with a folio further
//        on held locked, the issuer is still adding subrequests; the next
//        one goes out under no key, is refused and fails, and wakes the
//        collector, which cancels the failed stream (its
//        `if (stream->failed)` comes before the FAILED test) and ends
//        writeback on the folios as if written: the data is gone, no error
//        is recorded, and fsync returns 0.
// How: a file written by one to three users; a writer dirties a drawn range
//      with writeback held back (no flusher), the server takes every key out
//      of the file's ACL, the writer fsyncs.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_writeback_keys_exhausted, "netfs/writeback_keys_exhausted",
               .expect = sim::Expect::fail_always, .expect_checker = "deadlock", .faults = false,
               .why = "afs's key rotation fails the upload stream once no key is left; writeback never ends (finding)") {
  model::World w({.server = {.wsize = 4096}, .flusher = false});
  const std::uint32_t writers = 1 + sim::draw(3);
  model::NetfsInode& inode = w.create_file({.prepare_write = sim::draw(2) == 0, .writers = writers});
  w.preload(inode, pattern(170, 8 * 1024));
  s.spawn("app", [&] {
    model::NetfsFile f = w.open(inode);
    write_all(f, static_cast<model::loff_t>(sim::draw(12 * 1024)), pattern(171, 1 + sim::draw(20 * 1024)),
              {.max_folio_order = 0});
    for (std::uint32_t k = 1; k <= writers; ++k) w.server().revoke_key(inode.ino, k);
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
