// Pin: fs/netfs/misc.c at 2c8f4742bb76 with 156ac2ec2ee7 and 6d91acc7fb85 (2026; docs/fidelity.md).
// The waits of fs/netfs/misc.c for a caller that may have to collect in its
// own thread (NETFS_RREQ_OFFLOAD_COLLECTION clear): netfs_collect_in_app,
// netfs_wait_for_pause and netfs_wait_for_request; and ->invalidate_folio,
// netfs_invalidate_folio.
#include <algorithm>
#include <iterator>
#include <memory>

#include <fmt/format.h>

#include "model/mm/truncate.h"
#include "model/netfs/internal.h"
#include "model/netfs/marks.h"
#include "model/netfs/trace.h"
#include "model/netfs/variants.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/scheduler.h"
#include "sim/waitqueue.h"

namespace wbsim::model {

WBSIM_MARK(kMarkCollectInApp, "netfs.collect_in_app", "a waiting caller ran the collector in its own thread");

// netfs_invalidate_folio(): part or all of a locked folio is being
// invalidated (truncate, hole punch). Kernel-mirroring: its labels are the
// kernel's, with 156ac2ec2ee7 (the folio's dirty bit goes with its last
// change) and 6d91acc7fb85 (a front cut moves the record's start to the
// cut's end). folio_wait_private_2() ([DEPRECATED] PG_private_2
// copy-to-cache) is not modelled.
void netfs_invalidate_folio(Folio& folio, std::uint64_t offset, std::uint64_t length) {
  NetfsInode& ctx = netfs_inode(*folio.mapping);
  const std::uint64_t flen = folio.size();
  NetfsFolio* finfo = nullptr;

  if (offset == 0 && length == flen) {
    const auto i_size = static_cast<std::uint64_t>(ctx.i_size);
    const auto fpos = static_cast<std::uint64_t>(folio.pos());
    const std::uint64_t end = std::min(fpos + flen, i_size);
    if (fpos < i_size && end > static_cast<std::uint64_t>(ctx.zero_point)) ctx.zero_point = static_cast<loff_t>(end);
  }

  if (!folio.test(PG_private)) return;

  finfo = netfs_folio_info(folio);

  if (offset == 0 && length >= flen) goto erase_completely;

  if (finfo != nullptr) {
    // We have a partially uptodate page from a streaming write.
    const std::uint64_t fstart = finfo->dirty_offset;
    const std::uint64_t fend = fstart + finfo->dirty_len;
    const std::uint64_t iend = offset + length;

    if (offset >= fend) return;
    if (iend <= fstart) return;

    // The invalidation region overlaps the data. If it covers the start of
    // the data, we either move along the start or erase the data entirely.
    if (offset <= fstart) {
      if (iend >= fend) goto erase_completely;
      // Move the start of the data.
      finfo->dirty_len = static_cast<std::uint32_t>(fend - iend);
      finfo->dirty_offset = static_cast<std::uint32_t>(iend);
      trace_netfs_folio(folio, NetfsFolioTrace::netfs_folio_trace_invalidate_front);
      return;
    }

    // Reduce the length of the data if the invalidation region covers the
    // tail part.
    if (iend >= fend) {
      finfo->dirty_len = static_cast<std::uint32_t>(offset - fstart);
      trace_netfs_folio(folio, NetfsFolioTrace::netfs_folio_trace_invalidate_tail);
      return;
    }

    // A partial write was split. The caller has already zeroed it, so just
    // absorb the hole.
    trace_netfs_folio(folio, NetfsFolioTrace::netfs_folio_trace_invalidate_middle);
  }
  return;

erase_completely:
  netfs_put_group(netfs_folio_group(folio));
  folio_detach_private(folio);
  sim::clear_bit(PG_uptodate, folio.flags);
  // Without the fix the folio stays dirty with neither data nor record:
  // writeback then sends bytes that were never read (docs/findings.md, H3).
  if (!variant::invalidate_keeps_folio_dirty(folio)) folio_cancel_dirty(folio);
  if (finfo != nullptr) netfs_free_folio_info(finfo);
  trace_netfs_folio(folio, NetfsFolioTrace::netfs_folio_trace_invalidate_all);
}

void netfs_write_zero_point(NetfsInode& ctx, loff_t value) {
  trace_ev(Ev::zero_point, static_cast<std::uint64_t>(ctx.zero_point), static_cast<std::uint64_t>(value));
  ctx.zero_point = value;
}

void netfs_resize_file(NetfsInode& ctx, loff_t new_i_size, bool changed_on_server) {
  if (changed_on_server) ctx.remote_i_size = new_i_size;
  if (new_i_size < ctx.zero_point) netfs_write_zero_point(ctx, new_i_size);
}

void netfs_wait_for_outstanding_io(NetfsInode& ctx) {
  if (ctx.io_count == 0) return;
  if (ctx.io_count_wq == nullptr)
    ctx.io_count_wq = std::make_unique<sim::WaitQueue>(fmt::format("io_count.{}", ctx.ino));
  ctx.io_count_wq->wait_event([&ctx] { return ctx.io_count == 0; });
}

// netfs_release_folio(): a clean folio may leave the page cache. What it
// held is on the server, so zero_point rises past it, but not past what the
// server holds: since 4543a4d73794 the rise stops at remote_i_size, not at
// i_size (which locally extending writes not yet written back have moved).
// The old limit is no zoo bug: with 9p's reads (NETFS_SREQ_CLEAR_TAIL on
// buffered reads) a read the raised zero_point sends to the server past its
// EOF comes back zero-filled, as a read past zero_point would (docs/fidelity.md).
bool netfs_release_folio(Folio& folio) {
  NetfsInode& ctx = netfs_inode(*folio.mapping);
  if (folio_test_dirty(folio)) return false;
  loff_t end = folio.pos() + static_cast<loff_t>(folio.size());
  if (end > ctx.zero_point) {
    end = std::min(end, ctx.remote_i_size);
    if (end > ctx.zero_point) netfs_write_zero_point(ctx, end);
  }
  return !folio.test(PG_private);
}

namespace {

// Whether a collection could do anything: a stream's front subrequest has
// finished, or every stream is empty and the issuer has queued everything.
bool netfs_write_needs_collect(const NetfsIoRequest& wreq, bool* nothing_left) {
  bool empty = true;
  for (const NetfsIoStream& stream : wreq.io_streams) {
    if (!stream.active) continue;
    const NetfsIoSubrequest* front = stream.front();
    if (front == nullptr) continue;
    empty = false;
    if (!front->test(NETFS_SREQ_IN_PROGRESS) || front->test(NETFS_SREQ_MADE_PROGRESS)) return true;
  }
  *nothing_left = empty;
  return empty && wreq.test(NETFS_RREQ_ALL_QUEUED);
}

// netfs_collect_in_app(): 0 sleep, 1 done, 2 collect again.
int netfs_collect_in_app(NetfsIoRequest& wreq) {
  if (!wreq.test(NETFS_RREQ_IN_PROGRESS)) return 1;
  bool nothing_left = false;
  const bool inactive = std::none_of(std::begin(wreq.io_streams), std::end(wreq.io_streams),
                                     [](const NetfsIoStream& s) { return s.active; });
  if (!inactive && !netfs_write_needs_collect(wreq, &nothing_left)) {
    // Nothing left and ALL_QUEUED not set: only the caller itself can set
    // it, after the wait. Before the fix this ran the collector, which
    // cannot finish, and asked to be called again, forever.
    if (!variant::collect_in_app_with_nothing_left(nothing_left)) return 0;
  }
  mark(kMarkCollectInApp);
  if (netfs_write_collection(wreq)) {
    netfs_put_request(wreq);  // drop the ref from the IN_PROGRESS flag
    return 1;
  }
  SIM_ASSERT_MSG(!inactive, "WARN: Failed to collect inactive req R={:08x}", wreq.debug_id);
  return 2;
}

// The loop both waits share (netfs_wait_for_pause and netfs_wait_for_request
// in mainline are two copies of it): collect in this thread if the request
// does not offload collection, stop once `done` holds, else sleep until a
// completion or `done` wakes us.
template <typename Done>
void netfs_wait_collecting(NetfsIoRequest& wreq, Done done) {
  for (;;) {
    if (!wreq.offload_collection) {
      const int r = netfs_collect_in_app(wreq);
      if (r == 1) return;
      if (r == 2) {
        sim::yield();  // cond_resched()
        continue;
      }
    }
    if (done()) return;
    bool unused = false;
    wreq.waitq->wait_event(
        [&] { return done() || (!wreq.offload_collection && netfs_write_needs_collect(wreq, &unused)); });
  }
}

}  // namespace

void netfs_wait_for_in_progress_stream(NetfsIoRequest& wreq, NetfsIoStream& stream) {
  wreq.waitq->wait_event([&] {
    return std::none_of(stream.subrequests.begin(), stream.subrequests.end(),
                        [](const NetfsIoSubrequest* s) { return s->test(NETFS_SREQ_IN_PROGRESS); });
  });
}

void netfs_wait_for_pause(NetfsIoRequest& wreq) {
  netfs_wait_collecting(wreq,
                        [&] { return !wreq.test(NETFS_RREQ_IN_PROGRESS) || !wreq.test(NETFS_RREQ_PAUSE); });
}

void netfs_wait_for_request(NetfsIoRequest& wreq) {
  netfs_wait_collecting(wreq, [&] { return !wreq.test(NETFS_RREQ_IN_PROGRESS); });
}

}  // namespace wbsim::model
