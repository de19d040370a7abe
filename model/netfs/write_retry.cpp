// Pin: fs/netfs/write_retry.c at a53d0cf7f1cb with cce18c263e96 (2026; docs/fidelity.md).
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
#include "model/netfs/variants.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/known_finding.h"
#include "sim/mutex.h"
#include "sim/scheduler.h"

namespace wbsim::model {


WBSIM_KNOWN_FINDING(kFindingRetryKeepsTo, "netfs-retry-resplit-keeps-to", "request-state",
                    "netfs/retry_resplit_one_fewer",
                    "a re-split needing one subrequest fewer leaves the last one listed with NEED_RETRY");

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
        if (!variant::retry_rewinds_iterator_to_start(*subreq)) netfs_reset_iter(*subreq);
        netfs_get_subrequest(*subreq);
        trace(Ev::sreq_retry, *subreq, static_cast<std::uint64_t>(subreq->start));
        netfs_reissue_write(stream, *subreq);
      }
    }
    return;
  }

  // Kernel-mirroring from here: the list walk of netfs_retry_write_stream()
  // with `subreq` as an iterator that may stand at end() (the list head).
  auto next = stream.subrequests.begin();
  do {
    // The next span of contiguous NEED_RETRY data, to be re-split (cifs,
    // for example, needs the wsize renegotiating) and reissued.
    auto from = next;
    auto to = from;
    loff_t start = (*from)->start + static_cast<loff_t>((*from)->transferred);
    std::uint64_t len = (*from)->len - (*from)->transferred;
    if ((*from)->test(NETFS_SREQ_FAILED) || !(*from)->test(NETFS_SREQ_NEED_RETRY)) return;
    for (++next; next != stream.subrequests.end(); ++next) {
      NetfsIoSubrequest* s = *next;
      if (s->start + static_cast<loff_t>(s->transferred) != start + static_cast<loff_t>(len) ||
          s->test(NETFS_SREQ_BOUNDARY) || !s->test(NETFS_SREQ_NEED_RETRY))
        break;
      to = next;
      len += s->len;
    }

    // One contiguous source buffer, handed out piece by piece.
    netfs_reset_iter(**from);
    loff_t source = (*from)->io_iter_start;
    bool boundary = false;

    // Work through the sublist (list_for_each_entry_from).
    auto subreq = from;
    bool to_reissued = false;  // harness bookkeeping: was `to` itself reissued?
    for (; subreq != stream.subrequests.end(); ++subreq) {
      if (len == 0) break;
      NetfsIoSubrequest& sr = **subreq;
      sr.start = start;
      sr.len = len;
      sim::clear_bit(NETFS_SREQ_NEED_RETRY, sr.flags);
      ++sr.retry_count;
      trace(Ev::sreq_retry, sr, static_cast<std::uint64_t>(sr.start));
      mark(kMarkRetryResplit);

      stream.retry_resplit_span = std::max(stream.retry_resplit_span, len);  // harness bookkeeping (F14)
      stream.sreq_max_len = len;  // renegotiate max_len (wsize)
      stream.prepare_write(sr);

      const std::uint64_t part = std::min(len, stream.sreq_max_len);
      sr.len = part;
      sr.transferred = 0;
      len -= part;
      start += static_cast<loff_t>(part);
      if (len > 0 && subreq == to && sr.test(NETFS_SREQ_BOUNDARY)) {
        sim::clear_bit(NETFS_SREQ_BOUNDARY, sr.flags);
        boundary = true;
      }
      netfs_get_subrequest(sr);  // netfs_sreq_trace_get_resubmit
      sr.io_iter_start = source;
      source += static_cast<loff_t>(part);
      netfs_reissue_write(stream, sr);
      if (subreq == to) {
        to_reissued = true;
        break;
      }
    }

    // If we managed to use fewer subreqs, we can discard the excess; if we
    // used the same number, then we're done. As the kernel has it, a span
    // that needs exactly one subrequest fewer leaves `subreq` standing on
    // `to` after the loop, which reads as "used the same number": `to` is
    // neither reissued nor discarded (docs/findings.md).
    if (len == 0) {
      if (subreq == to) {
        if (!to_reissued) sim::known_finding_reached(kFindingRetryKeepsTo);
        continue;
      }
      for (;;) {
        NetfsIoSubrequest* surplus = *subreq;
        const bool last = subreq == to;
        mark(kMarkRetryDiscard);
        trace(Ev::sreq_discard, *surplus, 0);
        {
          sim::SpinGuard guard(*wreq.lock);  // cce18c263e96: readers walk the list under it
          subreq = stream.subrequests.erase(subreq);
        }
        netfs_put_subrequest(*surplus);  // netfs_sreq_trace_put_done
        if (last) break;
      }
      continue;
    }

    // We ran out of subrequests, so we need to allocate some more and
    // insert them after.
    do {
      NetfsIoSubrequest& sr = netfs_alloc_subrequest(wreq);
      mark(kMarkRetryExtraSubreq);
      sr.source = (*to)->source;
      sr.start = start;
      sr.stream_nr = (*to)->stream_nr;
      sr.retry_count = 1;
      // No extra reference here: a new subrequest already has the one its
      // termination drops.
      variant::retry_inserted_subreq_takes_extra_ref(sr);
      {
        sim::SpinGuard guard(*wreq.lock);  // cce18c263e96
        to = stream.subrequests.insert(std::next(to), &sr);
      }
      MODEL_EVENT(subreq_added(wreq, stream, sr, true));
      trace(Ev::sreq_retry, sr, static_cast<std::uint64_t>(sr.start));

      stream.retry_resplit_span = std::max(stream.retry_resplit_span, len);  // harness bookkeeping (F14)
      stream.sreq_max_len = len;
      stream.sreq_max_segs = INT_MAX;
      // The switch on stream->source: upload or cache, WARN_ON_ONCE otherwise.
      SIM_ASSERT(stream.source == NetfsIoSource::upload_to_server || stream.source == NetfsIoSource::write_to_cache);
      if (stream.source == NetfsIoSource::upload_to_server) stream.sreq_max_len = std::min(len, wreq.wsize);
      stream.prepare_write(sr);

      const std::uint64_t part = std::min(len, stream.sreq_max_len);
      sr.len = sr.transferred + part;
      len -= part;
      start += static_cast<loff_t>(part);
      if (len == 0 && boundary) {
        sim::set_bit(NETFS_SREQ_BOUNDARY, sr.flags);
        boundary = false;
      }
      sr.io_iter_start = source;
      source += static_cast<loff_t>(part);
      netfs_reissue_write(stream, sr);
    } while (len > 0);
  } while (next != stream.subrequests.end());
}

}  // namespace

void netfs_retry_writes(NetfsIoRequest& wreq) {
  MODEL_EVENT(retry_begin(wreq));
  // Wait for all outstanding I/O to quiesce before retrying, as the I/O
  // sizes may need renegotiating.
  sim::set_bit(NETFS_RREQ_RETRYING, wreq.flags);
  netfs_note_retry_vs_drained_pool(wreq);  // the issuer may be waiting in mempool_alloc already (F19)
  for (NetfsIoStream& stream : wreq.io_streams) {
    if (stream.active) netfs_wait_for_in_progress_stream(wreq, stream);
  }
  sim::clear_bit(NETFS_RREQ_RETRYING, wreq.flags);
  for (NetfsIoStream& stream : wreq.io_streams) {
    if (stream.need_retry) {
      stream.need_retry = false;
      netfs_retry_write_stream(wreq, stream);
    }
  }
  MODEL_EVENT(retry_end(wreq));
}

}  // namespace wbsim::model
