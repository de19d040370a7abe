#include "model/ploop/variants.h"

#include "sim/bug_switch.h"

namespace wbsim::model::variant {

WBSIM_BUG(kBugAckBeforeBat, "ploop-ack-before-bat", "ploop/alloc_parallel*", "ploop-data-before-ack",
          "dm-ploop: completing a data pio before its BAT write is durable (\"rework bat completion logic\")");
WBSIM_BUG(kBugMdRedirty, "ploop-md-redirty-under-wb", "ploop/alloc_parallel*", "ploop-md-state",
          "dm-ploop: an md page redirtied while its writeback is in flight (\"L1L2 mustn't be redirtyed\")");
WBSIM_BUG(kBugEnospcFails, "ploop-enospc-fails", "ploop/enospc_then_freed*", "ploop-enospc",
          "dm-ploop: an ENOSPC write failed instead of parked (\"resubmit enospc pios from dispatcher thread\")");
WBSIM_BUG(kBugFlushEarly, "ploop-flush-before-fsync", "ploop/flush_storm*", "ploop-flush",
          "dm-ploop: flush pios ended before the image's fsync returned (\"fsync after all pios are sent\")");
WBSIM_BUG(kBugDiscardNoLock, "ploop-discard-no-lock", "ploop/discard_vs_write*", "ploop-cluster-lock",
          "dm-ploop: a pio that ignores a discard's cluster lock (\"simplify discard completion\")");
WBSIM_BUG(kBugFreesAllocated, "ploop-failed-bat-frees-allocated", "ploop/failed_bat_flush_then_write*",
          "ploop-crash-consistency",
          "dm-ploop: a failed BAT update frees the file clusters it allocated (the evident fix of the driver's index "
          "mix-up) although its md page may already be in the file (the driver's FIXME)");

bool data_pio_skips_bat_wait() { return sim::bug(kBugAckBeforeBat); }
bool md_redirty_under_writeback() { return sim::bug(kBugMdRedirty); }
bool enospc_fails_pio() { return sim::bug(kBugEnospcFails); }
bool flush_ends_before_fsync() { return sim::bug(kBugFlushEarly); }
bool discard_skips_cluster_lock() { return sim::bug(kBugDiscardNoLock); }
bool failed_bat_frees_allocated() { return sim::bug(kBugFreesAllocated); }

}  // namespace wbsim::model::variant
