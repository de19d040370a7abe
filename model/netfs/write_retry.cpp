// Retrying write subrequests (fs/netfs/write_retry.c): quiesce every active
// stream, then per stream either reissue each NEED_RETRY subrequest as is,
// or, when the filesystem renegotiates sizes (->prepare_write, e.g. cifs
// credits), re-split each contiguous span over the existing subrequests,
// dropping surplus ones or inserting extra ones.
#include <algorithm>
#include <climits>
#include <iterator>

#include "model/events.h"
#include "model/netfs/internal.h"
#include "model/netfs/marks.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/bug_switch.h"
#include "sim/scheduler.h"

namespace wbsim::model {

WBSIM_BUG(kBugRetryRevertIter, "netfs-retry-iter-revert", "netfs/short_write_retry", "iterator",
          "netfs: Fix oops in write-retry from mis-resetting the subreq iterator");
WBSIM_BUG(kBugRetryInsertedSubreqRef, "netfs-retry-inserted-subreq-ref-leak", "netfs/retry_shrinking_credits", "refcount",
          "netfs: Fix ref leak on inserted extra subreq in write retry");

namespace {

void trace(Ev e, const NetfsIoSubrequest& s, std::uint64_t b) {
  sim::Scheduler::current().trace(static_cast<std::uint16_t>(e), sim::kNoObject,
                                  netfs_sreq_tag(s), b);
}

void netfs_retry_write_stream(NetfsIoRequest& wreq, NetfsIoStream& stream) {
  if (stream.subrequests.empty()) return;
  if (stream.source == NetfsIoSource::upload_to_server && wreq.inode->ops->retry_request != nullptr)
    wreq.inode->ops->retry_request(wreq, stream);
  if (stream.failed) return;

  // No renegotiation: resend each NEED_RETRY subrequest from where it got to.
  if (stream.prepare_write == nullptr) {
    for (NetfsIoSubrequest* subreq : stream.subrequests) {
      if (subreq->test(NETFS_SREQ_FAILED)) break;
      if (subreq->test(NETFS_SREQ_NEED_RETRY)) {
        sim::clear_bit(NETFS_SREQ_NEED_RETRY, subreq->flags);
        if (sim::bug(kBugRetryRevertIter)) {
          // iov_iter_revert(&source, subreq->len - source.count): right
          // only on the first retry; the model's iterator is not advanced
          // by a transfer, so the old rewind lands at the subrequest's start
          // whatever was transferred.
          subreq->io_iter_start = subreq->start;
        } else {
          netfs_reset_iter(*subreq);
        }
        netfs_get_subrequest(*subreq);
        trace(Ev::sreq_retry, *subreq, static_cast<std::uint64_t>(subreq->start));
        netfs_reissue_write(stream, *subreq);
      }
    }
    return;
  }

  auto next = stream.subrequests.begin();
  do {
    // The next span of contiguous NEED_RETRY data, to be re-split.
    auto from_it = next;
    NetfsIoSubrequest* from = *from_it;
    auto to_it = from_it;
    loff_t start = from->start + static_cast<loff_t>(from->transferred);
    std::uint64_t len = from->len - from->transferred;
    if (from->test(NETFS_SREQ_FAILED) || !from->test(NETFS_SREQ_NEED_RETRY)) return;
    for (++next; next != stream.subrequests.end(); ++next) {
      NetfsIoSubrequest* s = *next;
      if (s->start + static_cast<loff_t>(s->transferred) != start + static_cast<loff_t>(len) ||
          s->test(NETFS_SREQ_BOUNDARY) || !s->test(NETFS_SREQ_NEED_RETRY))
        break;
      to_it = next;
      len += s->len - s->transferred;
    }
    // One contiguous source buffer, handed out piece by piece. The walk
    // stops at `to` itself, never at an end captured earlier: the issuer may
    // append in-flight subrequests behind `to` while prepare_write sleeps.
    loff_t source = start;
    bool boundary = false;
    auto it = from_it;
    bool reached_to = false;
    while (len > 0 && !reached_to) {
      NetfsIoSubrequest& subreq = **it;
      reached_to = it == to_it;
      sim::clear_bit(NETFS_SREQ_NEED_RETRY, subreq.flags);
      stream.sreq_max_len = len;  // renegotiate max_len (wsize, credits)
      stream.prepare_write(subreq);
      const std::uint64_t part = std::min(len, stream.sreq_max_len);
      mark(kMarkRetryResplit);
      subreq.start = start;
      subreq.len = part;
      subreq.transferred = 0;
      len -= part;
      start += static_cast<loff_t>(part);
      if (len > 0 && reached_to && subreq.test(NETFS_SREQ_BOUNDARY)) {
        sim::clear_bit(NETFS_SREQ_BOUNDARY, subreq.flags);
        boundary = true;
      }
      trace(Ev::sreq_retry, subreq, static_cast<std::uint64_t>(subreq.start));
      netfs_get_subrequest(subreq);
      subreq.io_iter_start = source;
      source += static_cast<loff_t>(part);
      netfs_reissue_write(stream, subreq);
      ++it;
    }
    // Fewer subrequests needed: discard the excess, up to and including `to`.
    if (len == 0) {
      if (!reached_to) {
        for (;;) {
          NetfsIoSubrequest* surplus = *it;
          const bool last = it == to_it;
          mark(kMarkRetryDiscard);
          trace(Ev::sreq_discard, *surplus, 0);
          it = stream.subrequests.erase(it);
          netfs_put_subrequest(*surplus);
          if (last) break;
        }
      }
      next = it;
      continue;
    }
    // Ran out of subrequests: allocate more after `to`.
    while (len > 0) {
      NetfsIoSubrequest& subreq = netfs_alloc_subrequest(wreq);
      mark(kMarkRetryExtraSubreq);
      subreq.source = (*to_it)->source;
      subreq.start = start;
      subreq.stream_nr = (*to_it)->stream_nr;
      // netfs_reissue_write counts every send as a retry (the model counts
      // once per send; see docs/model.md).
      // No extra reference here: a new subrequest already has the one its
      // termination drops. Before the fix the resubmission took one more,
      // which nothing ever dropped.
      if (sim::bug(kBugRetryInsertedSubreqRef)) netfs_get_subrequest(subreq);
      to_it = stream.subrequests.insert(std::next(to_it), &subreq);
      MODEL_EVENT(subreq_added(wreq, stream, subreq, true));
      stream.sreq_max_len = len;
      stream.sreq_max_segs = INT_MAX;
      if (stream.source == NetfsIoSource::upload_to_server) stream.sreq_max_len = std::min(len, wreq.wsize);
      stream.prepare_write(subreq);
      const std::uint64_t part = std::min(len, stream.sreq_max_len);
      subreq.len = subreq.transferred + part;
      len -= part;
      start += static_cast<loff_t>(part);
      if (len == 0 && boundary) {
        sim::set_bit(NETFS_SREQ_BOUNDARY, subreq.flags);
        boundary = false;
      }
      trace(Ev::sreq_retry, subreq, static_cast<std::uint64_t>(subreq.start));
      subreq.io_iter_start = source;
      source += static_cast<loff_t>(part);
      netfs_reissue_write(stream, subreq);
    }
    next = std::next(to_it);
  } while (next != stream.subrequests.end());
}

}  // namespace

void netfs_retry_writes(NetfsIoRequest& wreq) {
  MODEL_EVENT(retry_begin(wreq));
  // Wait for all outstanding I/O to quiesce before retrying, as the I/O
  // sizes may need renegotiating.
  for (NetfsIoStream& stream : wreq.io_streams) {
    if (!stream.active) continue;
    for (NetfsIoSubrequest* subreq : stream.subrequests) sim::wait_on_bit(subreq->flags, NETFS_SREQ_IN_PROGRESS);
  }
  for (NetfsIoStream& stream : wreq.io_streams) {
    if (stream.need_retry) {
      stream.need_retry = false;
      netfs_retry_write_stream(wreq, stream);
    }
  }
  MODEL_EVENT(retry_end(wreq));
}

}  // namespace wbsim::model
