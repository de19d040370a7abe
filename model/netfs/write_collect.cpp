// Pin: fs/netfs/write_collect.c at 2c8f4742bb76 (gregkh/linux, 2026; docs/fidelity.md).
// The collector: advancing each stream past completed subrequests and ending
// folio writeback once every active stream has passed a folio
// (fs/netfs/write_collect.c). It runs as a work item on the collector
// workqueue and must never lock a folio (deadlock with truncate).
#include <algorithm>
#include <string>

#include <fmt/format.h>
#include <climits>

#include "model/events.h"
#include "model/netfs/internal.h"
#include "model/netfs/marks.h"
#include "model/netfs/variants.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/known_finding.h"
#include "sim/scheduler.h"

namespace wbsim::model {

WBSIM_KNOWN_FINDING(kFindingSecondFailureUnrecorded, "netfs-second-upload-failure-unrecorded", "data-integrity",
                    "netfs/write_after_failed_request",
                    "a subrequest that fails in an upload stream already failed is cancelled before the test that "
                    "records its error: the data it carried is lost with no mapping error (docs/findings.md F5)");


namespace {

// Notes made in the collector.
constexpr unsigned HIT_PENDING = 0x01;
constexpr unsigned NEED_REASSESS = 0x02;
constexpr unsigned MADE_PROGRESS = 0x04;
constexpr unsigned BUFFERED = 0x08;
constexpr unsigned NEED_RETRY = 0x10;
constexpr unsigned SAW_FAILURE = 0x20;

// netfs_dump_request(): the request and its streams, as the kernel prints
// them (pr_err), for assertion messages.
std::string netfs_dump_request(const NetfsIoRequest& rreq) {
  std::string out = fmt::format("Request R={:08x} r={} fl={:x} or={:x} e={}\n", rreq.debug_id, rreq.ref,
                                static_cast<std::uint64_t>(rreq.flags), static_cast<unsigned>(rreq.origin), rreq.error);
  out += fmt::format("  st={:x} tsl={:x}/{:x}/{:x}\n", rreq.start, rreq.transferred, rreq.submitted, rreq.len);
  out += fmt::format("  cci={:x}/{:x}/{:x}\n", rreq.cleaned_to, rreq.collected_to, rreq.issued_to);
  for (const NetfsIoStream& s : rreq.io_streams) {
    out += fmt::format("  str[{:x}] s={:x} e={} acnf={},{},{},{}\n", s.stream_nr, static_cast<unsigned>(s.source),
                       s.error, s.avail, s.active, s.need_retry, s.failed);
    out += fmt::format("  str[{:x}] ct={:x} t={:x}\n", s.stream_nr, s.collected_to, s.transferred);
    for (const NetfsIoSubrequest* sreq : s.subrequests) {
      out += fmt::format("  sreq[{:x}:{:x}] sc={} s={:x} t={:x}/{:x} r={} f={:x}\n", sreq->stream_nr,
                         sreq->debug_index, static_cast<unsigned>(sreq->source), sreq->start, sreq->transferred,
                         sreq->len, sreq->ref, static_cast<std::uint64_t>(sreq->flags));
    }
  }
  return out;
}

// netfs_writeback_unlock_folios(): end writeback on every folio the
// collection point has passed, in buffer order.
void netfs_writeback_unlock_folios(NetfsIoRequest& wreq, unsigned* notes) {
  FolioQueue* folioq = wreq.buffer.tail;
  const loff_t collected_to = wreq.collected_to;
  unsigned slot = wreq.buffer.first_tail_slot;

  SIM_ASSERT_MSG(folioq != nullptr, "WARN: Writeback unlock found empty rolling buffer!\n{}",
                 netfs_dump_request(wreq));
  if (slot >= FolioQueue::kNrSlots) {
    folioq = rolling_buffer_delete_spent(wreq.buffer);
    if (folioq == nullptr) return;
    slot = 0;
  }

  for (;;) {
    SIM_ASSERT_MSG(!folioq->freed && slot < folioq->nr && folioq->folios[slot] != nullptr,
                   "R={:08x}: no folio at slot {} of folio_queue {}\n{}", wreq.debug_id, slot, folioq->debug_id,
                   netfs_dump_request(wreq));
    Folio& folio = *folioq->folios[slot];
    SIM_ASSERT_MSG(folio_test_writeback(folio), "R={:08x}: folio {} is not under writeback\n{}", wreq.debug_id,
                   folio.index, netfs_dump_request(wreq));
    const loff_t fpos = folio.pos();
    const std::uint64_t fsize = folio.size();
    const NetfsFolio* finfo = netfs_folio_info(folio);
    const std::uint64_t flen = finfo != nullptr ? finfo->dirty_offset + finfo->dirty_len : fsize;
    const loff_t fend = std::min(fpos + static_cast<loff_t>(flen), wreq.i_size);

    // Unlock any folio we've transferred all of.
    if (collected_to < fend) break;

    wreq.nr_group_rel += netfs_folio_written_back(folio, &wreq);
    wreq.cleaned_to = fpos + static_cast<loff_t>(fsize);
    *notes |= MADE_PROGRESS;

    // Clean up the head folioq. If we clear an entire folioq, then we can
    // get rid of it provided it's not also the tail folioq being filled by
    // the issuer.
    folioq->folios[slot] = nullptr;  // folioq_clear()
    folioq->marks &= ~(1u << slot);
    ++slot;
    if (slot >= FolioQueue::kNrSlots) {
      folioq = rolling_buffer_delete_spent(wreq.buffer);
      if (folioq == nullptr) goto done;
      slot = 0;
    }
    if (fpos + static_cast<loff_t>(fsize) >= collected_to) break;
  }
done:
  wreq.buffer.first_tail_slot = slot;
}

void netfs_collect_write_results(NetfsIoRequest& wreq) {
  for (;;) {
    const loff_t issued_to = wreq.issued_to;  // atomic64_read + smp_rmb
    loff_t collected_to = LLONG_MAX;
    unsigned notes = wreq.origin == NetfsIoOrigin::writeback || wreq.origin == NetfsIoOrigin::writethrough ? BUFFERED
                                                                                                           : 0;
    // Remove completed subrequests from the front of each stream and advance
    // its collection point; stop at one still in progress. The issuer may be
    // appending to the tail meanwhile.
    for (NetfsIoStream& stream : wreq.io_streams) {
      if (!stream.active) continue;  // smp_load_acquire
      NetfsIoSubrequest* front = stream.front();
      while (front != nullptr) {
        if (stream.collected_to < front->start) {
          mark(kMarkGapJumpFront);
          stream.collected_to = front->start;
          trace_ev(Ev::collect_gap, stream.stream_nr, static_cast<std::uint64_t>(stream.collected_to));
        }
        if (front->test(NETFS_SREQ_IN_PROGRESS)) {
          notes |= HIT_PENDING;
          break;
        }
        bool cancel = false;
        if (stream.failed) {
          // Later subrequests of a failed stream are cancelled; their range
          // counts as collected.
          mark(kMarkStreamFailed);
          if (stream.source == NetfsIoSource::upload_to_server && front->test(NETFS_SREQ_FAILED))
            sim::known_finding_reached(kFindingSecondFailureUnrecorded);
          stream.collected_to = front->start + static_cast<loff_t>(front->len);
          notes |= MADE_PROGRESS | SAW_FAILURE;
          cancel = true;
        }
        if (!cancel) {
          if (front->start + static_cast<loff_t>(front->transferred) > stream.collected_to) {
            stream.collected_to = front->start + static_cast<loff_t>(front->transferred);
            stream.transferred = static_cast<std::uint64_t>(stream.collected_to - wreq.start);
            stream.transferred_valid = true;
            notes |= MADE_PROGRESS;
          }
          if (front->test(NETFS_SREQ_FAILED)) {
            stream.failed = true;
            stream.error = front->error;
            if (stream.source == NetfsIoSource::upload_to_server) {
              mark(kMarkUploadFailed);
              mapping_set_error(*wreq.mapping, front->error);
            }
            notes |= NEED_REASSESS | SAW_FAILURE;
            break;
          }
          if (front->transferred < front->len) {
            if (front->error != 0 && stream.source == NetfsIoSource::upload_to_server &&
                variant::planted_retry_reports_transient_error())
              mapping_set_error(*wreq.mapping, front->error);
            stream.need_retry = true;
            notes |= NEED_RETRY | MADE_PROGRESS;
            break;
          }
        }
        // Remove if completely consumed.
        {
          sim::SpinGuard guard(*wreq.lock);
          stream.subrequests.pop_front();
        }
        NetfsIoSubrequest* removed = front;
        front = stream.front();
        netfs_put_subrequest(*removed);
      }
      // An empty stream jumps forward, or the collection point never moves.
      if (front == nullptr && issued_to > stream.collected_to) {
        mark(kMarkGapJumpEmpty);
        stream.collected_to = issued_to;
        trace_ev(Ev::collect_gap, stream.stream_nr, static_cast<std::uint64_t>(issued_to));
        MODEL_EVENT(stream_jumped(wreq, stream));
      }
      collected_to = std::min(collected_to, stream.collected_to);
    }
    if (collected_to != LLONG_MAX && collected_to > wreq.collected_to) wreq.collected_to = collected_to;
    trace_ev(Ev::collect, wreq.debug_id, static_cast<std::uint64_t>(wreq.collected_to));
    MODEL_EVENT(collected(wreq));

    // Unlock any folios that we have now finished with.
    if (notes & BUFFERED) {
      if (wreq.cleaned_to < wreq.collected_to) netfs_writeback_unlock_folios(wreq, &notes);
      if (wreq.crypto) netfs_free_crypto_below(wreq, wreq.cleaned_to);  // free crypto buffers
    } else {
      wreq.cleaned_to = wreq.collected_to;
    }

    if (notes & NEED_RETRY) {
      // Any partially completed op has had its wholly transferred folios
      // removed already.
      netfs_retry_writes(wreq);
      break;
    }
    if ((notes & MADE_PROGRESS) && wreq.test(NETFS_RREQ_PAUSE)) {
      mark(kMarkPauseCleared);
      trace_ev(Ev::pause_clear, wreq.debug_id, 0);
      sim::clear_and_wake_up_bit(NETFS_RREQ_PAUSE, wreq.flags);
      wreq.waitq->wake_up();
    }
    if (!(notes & (NEED_REASSESS | MADE_PROGRESS))) break;
  }
  netfs_put_group_many(wreq.group, wreq.nr_group_rel);
  wreq.nr_group_rel = 0;
}

}  // namespace

int netfs_folio_written_back(Folio& folio, const NetfsIoRequest* wreq) {
  NetfsInode& ictx = netfs_inode(*folio.mapping);
  int gcount = 0;
  loff_t streaming_end = -1;
  if (NetfsFolio* finfo = netfs_folio_info(folio)) {
    // Streaming writes cannot be redirtied under writeback, so discard the
    // record; what was written is now on the server, so raise zero_point.
    const loff_t fend = folio.pos() + finfo->dirty_offset + finfo->dirty_len;
    streaming_end = fend;
    if (fend > ictx.zero_point && !variant::streaming_writeback_keeps_zero_point()) netfs_write_zero_point(ictx, fend);
    folio_detach_private(folio);
    ++gcount;
    netfs_free_folio_info(finfo);
  } else if (NetfsGroup* group = netfs_folio_group(folio); group != nullptr) {
    // Detach the group only if the folio was not redirtied; a redirtied
    // folio stays in the same group.
    if (!folio_test_dirty(folio)) {
      folio_detach_private(folio);
      ++gcount;
    }
  } else if (folio.priv.kind == FolioPrivate::Kind::copy_to_cache) {
    folio_detach_private(folio);
  }
  MODEL_EVENT(folio_written_back(wreq, folio, streaming_end));
  folio_end_writeback(folio);
  return gcount;
}

void netfs_write_collection_worker(NetfsIoRequest& wreq) {
  if (wreq.test(NETFS_RREQ_IN_PROGRESS)) {
    // Drop the ref from the IN_PROGRESS flag.
    if (netfs_write_collection(wreq)) netfs_put_request(wreq);
  }
}

bool netfs_write_collection(NetfsIoRequest& wreq) {
  MODEL_EVENT(collector_begin(wreq));
  netfs_collect_write_results(wreq);
  MODEL_EVENT(collector_end(wreq));

  // Done when the issuer has queued everything and every stream is empty.
  if (!wreq.test(NETFS_RREQ_ALL_QUEUED)) return false;
  std::uint64_t transferred = static_cast<std::uint64_t>(INT64_MAX);  // LONG_MAX
  bool transferred_valid = false;
  for (const NetfsIoStream& stream : wreq.io_streams) {
    if (!stream.active) continue;
    if (!stream.subrequests.empty()) return false;
    if (stream.transferred_valid && stream.transferred < transferred) {
      transferred = stream.transferred;
      transferred_valid = true;
    }
  }
  // Okay, declare that all I/O is complete.
  if (transferred_valid) {
    wreq.transferred = transferred;
  } else {
    variant::unbuffered_write_collected_nothing(wreq);
  }
  // A cache write failure does not stop writeback completing.
  if (wreq.io_streams[1].active && wreq.io_streams[1].failed) {
    mark(kMarkCacheFailed);
    if (wreq.inode->ops->invalidate_cache != nullptr) wreq.inode->ops->invalidate_cache(wreq);
  }
  trace_ev(Ev::wreq_done, wreq.debug_id, wreq.transferred);
  MODEL_EVENT(wreq_done(wreq));
  sim::clear_and_wake_up_bit(NETFS_RREQ_IN_PROGRESS, wreq.flags);
  wreq.waitq->wake_up();
  return true;
}

// netfs_wake_collector(): the work item holds no reference of its own (the
// one IN_PROGRESS owns keeps the request); while a retry quiesces the
// streams, only the quiescing collector is woken.
void netfs_wake_write_collector(NetfsIoRequest& wreq) {
  // The waker holds a reference: waking the collector of a freed request
  // is a use-after-free (KASAN in the kernel).
  SIM_ASSERT_MSG(wreq.ref > 0, "R={:08x}: collector woken on a freed request", wreq.debug_id);
  if (wreq.offload_collection && !wreq.test(NETFS_RREQ_RETRYING)) {
    wreq.inode->collector_wq->queue_work(*wreq.work);
  } else {
    wreq.waitq->wake_up();
  }
}

void netfs_write_subrequest_terminated(NetfsIoSubrequest& subreq, std::int64_t transferred_or_error) {
  NetfsIoRequest& wreq = *subreq.rreq;
  NetfsIoStream& stream = wreq.io_streams[subreq.stream_nr];
  SIM_ASSERT_MSG(subreq.test(NETFS_SREQ_IN_PROGRESS), "R={:08x}[{:x}] terminated twice", wreq.debug_id,
                 subreq.debug_index);
  // The switch on subreq->source: BUG() for anything but upload or cache.
  SIM_ASSERT_MSG(subreq.source == NetfsIoSource::upload_to_server || subreq.source == NetfsIoSource::write_to_cache,
                 "R={:08x}[{:x}]: a write subrequest of neither upload nor cache source", wreq.debug_id,
                 subreq.debug_index);
  if (transferred_or_error < 0) {
    subreq.error = static_cast<int>(transferred_or_error);
    // Mainline (6.16+): the filesystem sets NEED_RETRY itself for errors it
    // wants retried; anything else fails the subrequest.
    if (!subreq.test(NETFS_SREQ_NEED_RETRY)) sim::set_bit(NETFS_SREQ_FAILED, subreq.flags);
    mark(kMarkPauseSet);
    trace_ev(Ev::pause_set, wreq.debug_id, 0);
    sim::set_bit(NETFS_RREQ_PAUSE, wreq.flags);
  } else {
    std::uint64_t t = static_cast<std::uint64_t>(transferred_or_error);
    SIM_ASSERT_MSG(t <= subreq.len - subreq.transferred, "Subreq excess write: R={:08x}[{:x}] {} > {} - {}",
                   wreq.debug_id, subreq.debug_index, t, subreq.len, subreq.transferred);
    subreq.error = 0;
    subreq.transferred += t;
    if (subreq.transferred < subreq.len) {
      mark(kMarkShortWrite);
      sim::set_bit(NETFS_SREQ_NEED_RETRY, subreq.flags);
    }
  }
  sim::Scheduler::current().trace(static_cast<std::uint16_t>(Ev::sreq_terminated), sim::kNoObject,
                                  netfs_sreq_tag(subreq),
                                  static_cast<std::uint64_t>(transferred_or_error));
  MODEL_EVENT(subreq_terminated(subreq));
  sim::clear_and_wake_up_bit(NETFS_SREQ_IN_PROGRESS, subreq.flags);
  // netfs_subreq_clear_in_progress(): at the head of the queue, or while a
  // retry waits for the streams to quiesce, wake the collector.
  if ((!stream.subrequests.empty() && stream.subrequests.front() == &subreq) || wreq.test(NETFS_RREQ_RETRYING))
    netfs_wake_write_collector(wreq);
  netfs_put_subrequest(subreq);
}

}  // namespace wbsim::model
