// Pin: the unbuffered issuer of fs/netfs/write_issue.c from 6.10 to 7.0-rc2, a
// historical variant (docs/fidelity.md).
#include <algorithm>
#include <climits>

#include "model/errno.h"
#include "model/events.h"
#include "model/netfs/internal.h"
#include "model/netfs/marks.h"
#include "model/netfs/variants.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/scheduler.h"

namespace wbsim::model {

// --- Variant: the unbuffered issuer of 6.10 through 7.0-rc2 -----------------
// Before "netfs: Fix unbuffered/DIO writes to dispatch subrequests in strict
// sequence" an unbuffered write went through netfs_advance_write() like
// writeback, waited for NETFS_RREQ_PAUSE after each part while the collector
// (in this thread) and netfs_retry_writes() dealt with failures.

namespace {

// netfs_unbuffered_write() of that era (write_issue.c).
void netfs_unbuffered_write_6_10(NetfsIoRequest& wreq, std::uint64_t len) {
  loff_t start = wreq.start;
  NetfsIoStream& upload = wreq.io_streams[0];
  while (len > 0) {
    if (variant::all_queued_set_before_last_subreq() && len <= wreq.wsize && !wreq.test(NETFS_RREQ_ALL_QUEUED)) {
      // ALL_QUEUED published as soon as the last subrequest is decided,
      // before it is on the list; the delay is the msleep() that provoked
      // the race on AFS.
      sim::set_bit(NETFS_RREQ_ALL_QUEUED, wreq.flags);
      sim::sleep(sim::draw(3) * sim::kMs);
    }
    const std::uint64_t part = netfs_advance_write(wreq, upload, start, len, false);
    start += static_cast<loff_t>(part);
    len -= part;
    wreq.buffer_iter_advance(part);  // rolling_buffer_advance(&wreq->buffer, part)
    wreq.issued_to = start;
    if (wreq.test(NETFS_RREQ_PAUSE)) {
      mark(kMarkPauseWait);
      netfs_wait_for_pause(wreq);
    }
    if (wreq.test(NETFS_RREQ_FAILED)) break;
  }
  netfs_end_issue_write(wreq);
}

}  // namespace

std::int64_t netfs_unbuffered_write_paused(NetfsIoRequest& wreq) {
  NetfsInode& ictx = *wreq.inode;
  wreq.offload_collection = false;  // a synchronous write collects while it waits
  ictx.ops->begin_writeback(wreq);
  netfs_unbuffered_write_6_10(wreq, wreq.len);
  netfs_wait_for_request(wreq);
  // netfs_wait_for_write(): the request's error, else what it transferred
  // (a failure after some progress shows as a short write).
  const int error = wreq.error;
  const std::uint64_t written = wreq.transferred;
  if (error == 0 && !variant::unbuffered_write_extends_i_size_unlocked(wreq))
    netfs_update_i_size(ictx, wreq.start, std::min(wreq.transferred, wreq.len));
  // Folios mmap may have brought in over the range meanwhile go too.
  const loff_t end = wreq.start + static_cast<loff_t>(wreq.len);
  invalidate_inode_pages2_range(ictx.mapping, static_cast<pgoff_t>(wreq.start) >> kPageShift,
                                static_cast<pgoff_t>(end - 1) >> kPageShift);
  return error != 0 ? error : static_cast<std::int64_t>(written);
}

}  // namespace wbsim::model
