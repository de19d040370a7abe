// Why: see scenarios/netfs/writeback_keys_exhausted.cpp (docs/findings.md
//      F20); this one holds a folio further on locked, so the issuer is still
//      issuing when the retry has run out of keys, and the data is dropped
//      with no error instead of writeback hanging.
#include "scenarios/netfs/writeback_keys.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_writeback_keys_exhausted_while_issuing, "netfs/writeback_keys_exhausted_while_issuing",
               .expect = sim::Expect::fail_always, .expect_checker = "error-propagation", .faults = false,
               .why = "a subrequest issued after the keys ran out cancels the stream with no error (finding)") {
  dirty_revoke_fsync(s, /*hold_later=*/true);
}

}  // namespace wbsim::scenarios
