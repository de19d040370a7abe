// Pin: fs/netfs/direct_write.c at 5dfa01ef37a8 (gregkh/linux, 2026; docs/fidelity.md).
// Unbuffered and direct writes dispatch one subrequest at a time, wait for
// it, collect it inline and retry it inline ("netfs: Fix unbuffered/DIO
// writes to dispatch subrequests in strict sequence", 7.0-rc3). The issuer it
// replaced, with its PAUSE wait and the collector, is kept as a historical
// variant (netfs_unbuffered_write_paused, variants_unbuffered_6_10.cpp).
#include <algorithm>
#include <climits>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "model/errno.h"
#include "model/events.h"
#include "model/netfs/internal.h"
#include "model/netfs/marks.h"
#include "model/netfs/netfs.h"
#include "model/netfs/variants.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/completion.h"
#include "sim/known_finding.h"
#include "sim/scheduler.h"

namespace wbsim::model {

WBSIM_MARK(kMarkDioDisablesCache, "netfs.dio_disables_cache", "an unbuffered write stopped the file's cache use");
WBSIM_MARK(kMarkUnbufferedWrite, "netfs.unbuffered_write", "an unbuffered write dispatched its subrequests in sequence");
WBSIM_MARK(kMarkUnbufferedRetry, "netfs.unbuffered_retry", "an unbuffered write retried its subrequest inline");

WBSIM_KNOWN_FINDING(kFindingDioRetryShift, "netfs-dio-retry-resends-shifted", "iterator,data-integrity,app-contract",
                    "netfs/dio_short_write_retry",
                    "an unbuffered write's inline retry after a short write sends later bytes at the earlier offset");
WBSIM_KNOWN_FINDING(kFindingDioRetryDoubleIssue, "netfs-dio-retry-issues-twice", "request-state",
                    "netfs/dio_short_write_retry_no_prepare",
                    "an unbuffered write's inline retry without ->prepare_write issues the subrequest twice");
WBSIM_KNOWN_FINDING(kFindingDioErrorAfterTransfer, "netfs-unbuffered-error-after-transfer", "app-contract",
                    "netfs/dio_error_after_partial_transfer",
                    "an unbuffered write whose later subrequest fails for good returns the error although earlier "
                    "ones transferred");
WBSIM_KNOWN_FINDING(kFindingDioStaleCopyToCache, "netfs-dio-leaves-copy-to-cache-folio", "data-integrity",
                    "netfs/dio_write_vs_cached_mmap_read",
                    "a folio a read marked for copying to the cache is dirty, so neither of an O_DIRECT write's "
                    "invalidations drops it: the old bytes stay cached over the written range");
WBSIM_KNOWN_FINDING(kFindingDioUninitialisedRet, "netfs-unbuffered-write-uninitialised-ret", "app-contract",
                    "netfs/dio_first_prepare_fails",
                    "netfs_unbuffered_write returns its uninitialised ret when the first subrequest's ->prepare_write "
                    "fails: a synchronous write returns whatever the stack held");

namespace {

// netfs_unbuffered_write_done(): the cleanup rituals once all I/O is done.
void netfs_unbuffered_write_done(NetfsIoRequest& wreq) {
  NetfsInode& ictx = *wreq.inode;
  trace_ev(Ev::wreq_done, wreq.debug_id, wreq.transferred);
  if (wreq.error == 0 && !variant::unbuffered_write_extends_i_size_unlocked(wreq))
    netfs_update_i_size(ictx, wreq.start, wreq.transferred);

  if (wreq.origin == NetfsIoOrigin::dio_write && !wreq.mapping->folios.empty()) {
    // mmap may have brought folios in over the range meanwhile: discard
    // them, leaving those modified locally. Unsigned, as the kernel's: a
    // write at 0 that transferred nothing makes `last` the largest index.
    const auto first = static_cast<pgoff_t>(wreq.start) >> kPageShift;
    const auto last = (static_cast<std::uint64_t>(wreq.start) + wreq.transferred - 1) >> kPageShift;
    const auto end = static_cast<pgoff_t>(std::min<std::uint64_t>(last, INT64_MAX >> kPageShift));
    invalidate_inode_pages2_range(*wreq.mapping, first, end);
    // A folio a read marked for the cache is dirty: it was not dropped, and
    // it holds what the server had when it was read (docs/findings.md F22).
    for (auto it = first_folio_from(*wreq.mapping, first);
         wreq.transferred > 0 && it != wreq.mapping->folios.end() && it->first <= end; ++it)
      if (it->second->priv.kind == FolioPrivate::Kind::copy_to_cache) sim::known_finding_reached(kFindingDioStaleCopyToCache);
  }
  if (wreq.origin == NetfsIoOrigin::dio_write) {
    // An asynchronous DIO leaves the exclusion as its count drops.
    if (wreq.iocb != nullptr) MODEL_EVENT(netfs_exclusion(ictx, /*dio=*/true, /*enter=*/false));
    inode_dio_end(ictx);
  }

  MODEL_EVENT(wreq_done(wreq));
  sim::clear_and_wake_up_bit(NETFS_RREQ_IN_PROGRESS, wreq.flags);  // netfs_wake_rreq_flag
  wreq.waitq->wake_up();
  // As we cleared NETFS_RREQ_IN_PROGRESS, we acquired its ref.

  if (wreq.iocb != nullptr) {
    const std::uint64_t written = std::min(wreq.transferred, wreq.len);
    wreq.iocb->ki_pos += static_cast<loff_t>(written);
    if (wreq.iocb->ki_complete)
      wreq.iocb->ki_complete(*wreq.iocb, wreq.error != 0 ? wreq.error : static_cast<std::int64_t>(written));
    wreq.iocb = nullptr;  // VFS_PTR_POISON
  }
  netfs_clear_subrequests(wreq);
}

// netfs_unbuffered_write_collect(): a subrequest done, inline.
void netfs_unbuffered_write_collect(NetfsIoRequest& wreq, NetfsIoStream& stream, NetfsIoSubrequest& subreq) {
  {
    sim::SpinGuard guard(*wreq.lock);
    stream.subrequests.remove(&subreq);
  }
  wreq.transferred += subreq.transferred;
  wreq.buffer_iter_advance(subreq.transferred);
  stream.collected_to = subreq.start + static_cast<loff_t>(subreq.transferred);
  wreq.collected_to = stream.collected_to;
  trace_ev(Ev::collect, wreq.debug_id, static_cast<std::uint64_t>(wreq.collected_to));
  netfs_put_subrequest(subreq);
}

// Kernel-mirroring: netfs_unbuffered_write() with its loop as the kernel has
// it. Returns 0 or the failed subrequest's error.
int netfs_unbuffered_write(NetfsIoRequest& wreq) {
  NetfsIoSubrequest* subreq = nullptr;
  NetfsIoStream& stream = wreq.io_streams[0];
  // `int ret;`, as the kernel declares it: nothing sets it before the first
  // pass's two early breaks (docs/findings.md F18).
  std::optional<int> ret;

  if (wreq.origin == NetfsIoOrigin::dio_write) inode_dio_begin(*wreq.inode);
  stream.collected_to = wreq.start;

  for (;;) {
    bool retry = false;

    if (subreq == nullptr) {
      netfs_prepare_write(wreq, stream, wreq.start + static_cast<loff_t>(wreq.transferred));
      subreq = stream.construct;
      stream.construct = nullptr;
    }

    // Check if (re-)preparation failed.
    if (subreq->test(NETFS_SREQ_FAILED)) {
      netfs_write_subrequest_terminated(*subreq, subreq->error);
      wreq.error = subreq->error;
      break;
    }

    subreq->io_iter_count = std::min(subreq->io_iter_count, wreq.len - wreq.transferred);  // iov_iter_truncate
    if (subreq->io_iter_count == 0) break;

    subreq->len = std::min<std::uint64_t>(subreq->io_iter_count, stream.sreq_max_len);  // netfs_limit_iter
    if (variant::planted_unbuffered_issue_ignores_max_len()) subreq->len = subreq->io_iter_count;
    subreq->io_iter_count = std::min(subreq->io_iter_count, subreq->len);
    stream.submit_extendable_to = subreq->len;

    mark(kMarkUnbufferedWrite);
    trace_ev(Ev::sreq_submit, netfs_sreq_tag(*subreq), subreq->len);
    MODEL_EVENT(subreq_issued(*subreq, subreq->retry_count > 0));
    stream.issue_write(*subreq);

    // Async, need to wait.
    netfs_wait_for_in_progress_stream(wreq, stream);

    if (subreq->test(NETFS_SREQ_NEED_RETRY)) {
      retry = true;
    } else if (subreq->test(NETFS_SREQ_FAILED)) {
      if (wreq.transferred > 0) sim::known_finding_reached(kFindingDioErrorAfterTransfer);
      ret = subreq->error;
      wreq.error = *ret;
      subreq = nullptr;
      break;
    }
    ret = 0;

    if (!retry) {
      netfs_unbuffered_write_collect(wreq, stream, *subreq);
      subreq = nullptr;
      if (wreq.transferred >= wreq.len) break;
      continue;  // no signals in the model
    }

    // We need to retry the last subrequest, so first reset the iterator,
    // taking into account what, if anything, we managed to transfer.
    mark(kMarkUnbufferedRetry);
    subreq->error = kEAGAIN;
    trace_ev(Ev::sreq_retry, netfs_sreq_tag(*subreq), static_cast<std::uint64_t>(subreq->start));
    if (subreq->transferred > 0) wreq.buffer_iter_advance(subreq->transferred);

    if (stream.source == NetfsIoSource::upload_to_server && wreq.inode->ops->retry_request != nullptr)
      wreq.inode->ops->retry_request(wreq, stream);

    sim::clear_bit(NETFS_SREQ_NEED_RETRY, subreq->flags);
    sim::clear_bit(NETFS_SREQ_BOUNDARY, subreq->flags);
    sim::clear_bit(NETFS_SREQ_FAILED, subreq->flags);
    subreq->io_iter_start = wreq.buffer_iter_pos;
    subreq->io_iter_count = wreq.buffer_iter_count;
    subreq->start = wreq.start + static_cast<loff_t>(wreq.transferred);
    subreq->len = wreq.len - wreq.transferred;
    subreq->transferred = 0;
    subreq->retry_count += 1;
    stream.sreq_max_len = UINT_MAX;
    stream.sreq_max_segs = INT_MAX;

    netfs_get_subrequest(*subreq);  // netfs_sreq_trace_get_resubmit

    if (stream.prepare_write != nullptr) {
      // The iterator was advanced past the prefix, the start was not.
      if (subreq->io_iter_start != subreq->start) sim::known_finding_reached(kFindingDioRetryShift);
      stream.prepare_write(*subreq);
      sim::set_bit(NETFS_SREQ_IN_PROGRESS, subreq->flags);
    } else {
      // Issued here, and again at the top of the loop.
      sim::known_finding_reached(kFindingDioRetryDoubleIssue);
      netfs_reset_iter(*subreq);
      netfs_reissue_write(stream, *subreq);
    }
  }

  netfs_unbuffered_write_done(wreq);
  if (!ret.has_value()) {
    // An indeterminate value: whatever the register or stack slot held,
    // which the oracle draws (as KMSAN would report, the model does not
    // pretend it is 0).
    sim::known_finding_reached(kFindingDioUninitialisedRet);
    ret = sim::draw(2) == 0 ? static_cast<int>(sim::draw(1u << 30)) : -static_cast<int>(1 + sim::draw(1u << 30));
  }
  return *ret;
}

void netfs_unbuffered_write_async(NetfsIoRequest& wreq) {
  netfs_unbuffered_write(wreq);
  netfs_put_request(wreq);  // netfs_rreq_trace_put_complete
}

}  // namespace

void inode_dio_begin(NetfsInode& ictx) { ++ictx.i_dio_count; }

void inode_dio_end(NetfsInode& ictx) {
  SIM_ASSERT_CMP(ictx.i_dio_count, >, 0);
  if (--ictx.i_dio_count == 0) ictx.i_dio_wq->wake_up();  // inode_dio_finished
}

// netfs_unbuffered_write_iter_locked(): -EIOCBQUEUED for an asynchronous
// kiocb, whose work item runs the write and calls ki_complete.
std::int64_t netfs_unbuffered_write_iter_locked(Kiocb& iocb, const std::vector<std::uint8_t>& data) {
  NetfsInode& ictx = *iocb.ki_filp->inode;
  const loff_t start = iocb.ki_pos;

  NetfsIoRequest& wreq = netfs_create_write_req(ictx.mapping, start,
                                                (iocb.ki_flags & IOCB_DIRECT) ? NetfsIoOrigin::dio_write
                                                                              : NetfsIoOrigin::unbuffered_write);
  wreq.io_streams[0].avail = true;
  // The user buffer's pages, extracted (netfs_extract_user_iter): the model
  // keeps the bytes.
  wreq.bounce = data;
  wreq.buffer_iter_pos = start;
  wreq.buffer_iter_count = data.size();
  wreq.len = data.size();
  sim::set_bit(NETFS_RREQ_UPLOAD_TO_SERVER, wreq.flags);

  const bool async = !is_sync_kiocb(iocb);
  std::int64_t ret;
  if (async) {
    // The work item runs the strict sequence; the paused variant has no
    // asynchronous form in the model.
    SIM_ASSERT_MSG(!variant::unbuffered_write_takes_paused_issuer(),
                   "the 6.10 unbuffered issuer variant is modelled for synchronous writes only");
    wreq.offload_collection = false;
    wreq.work = std::make_unique<sim::Work>(fmt::format("R={:08x}.dio", wreq.debug_id),
                                            [&wreq] { netfs_unbuffered_write_async(wreq); });
    wreq.iocb = &iocb;
    wreq.inode->collector_wq->queue_work(*wreq.work);  // system_dfl_wq
    ret = kEIOCBQUEUED;
  } else if (variant::unbuffered_write_takes_paused_issuer()) {
    ret = netfs_unbuffered_write_paused(wreq);
  } else {
    wreq.offload_collection = false;
    ret = netfs_unbuffered_write(wreq);
    if (ret >= 0) {
      iocb.ki_pos += static_cast<loff_t>(wreq.transferred);
      ret = wreq.transferred != 0 ? static_cast<std::int64_t>(wreq.transferred) : wreq.error;
    }
    netfs_put_request(wreq);  // netfs_rreq_trace_put_complete (the IN_PROGRESS ref)
  }
  netfs_put_request(wreq);  // netfs_rreq_trace_put_return
  return ret;
}

std::int64_t netfs_unbuffered_write_iter(NetfsFile& file, loff_t pos, const std::vector<std::uint8_t>& data,
                                         bool aio) {
  return netfs_unbuffered_write_call(file, pos, data, file.f_iocb_flags | IOCB_DIRECT, aio);
}

std::int64_t netfs_unbuffered_write_call(NetfsFile& file, loff_t pos, const std::vector<std::uint8_t>& data,
                                         unsigned ki_flags, bool aio) {
  if (data.empty()) return 0;
  NetfsInode& ictx = *file.inode;
  MODEL_EVENT(write_begin(ictx, pos, data.size(), true));
  if (!aio) {
    Kiocb iocb{&file, pos, ki_flags, {}};
    const std::int64_t ret = netfs_unbuffered_write_iter(iocb, data);
    MODEL_EVENT(write_returned(ictx, pos, data, ret, true));
    return ret;
  }
  // io_uring: submit, then wait for the completion event.
  struct Cqe {
    sim::Completion done{"cqe"};
    std::int64_t res = 0;
  };
  auto cqe = std::make_shared<Cqe>();
  auto iocb = std::make_shared<Kiocb>(Kiocb{&file, pos, ki_flags,
                                            [cqe](Kiocb&, std::int64_t res) {
                                              cqe->res = res;
                                              cqe->done.complete();
                                            }});
  // io_write(): io_uring tries without blocking first (IOCB_NOWAIT) only
  // for a file that supports it (FMODE_NOWAIT, REQ_F_SUPPORT_NOWAIT) and,
  // on -EAGAIN, punts the request to an io-wq worker that may block. A file
  // without FMODE_NOWAIT (afs, 9p and cifs set none) is punted at once. The
  // worker's blocking call runs here, in the submitter's fiber.
  std::int64_t ret = kEAGAIN;
  if (file.f_mode & FMODE_NOWAIT) {
    mark(kMarkDioNowaitAttempt);
    iocb->ki_flags |= IOCB_NOWAIT;
    ret = netfs_unbuffered_write_iter(*iocb, data);
  }
  if (ret == kEAGAIN) {
    iocb->ki_flags &= ~IOCB_NOWAIT;
    ret = netfs_unbuffered_write_iter(*iocb, data);
  }
  if (ret == kEIOCBQUEUED) {
    cqe->done.wait();
    ret = cqe->res;
  }
  MODEL_EVENT(write_returned(ictx, pos, data, ret, true));
  return ret;
}

std::int64_t netfs_unbuffered_write_iter(Kiocb& iocb, const std::vector<std::uint8_t>& data) {
  NetfsFile& file = *iocb.ki_filp;
  NetfsInode& ictx = *file.inode;
  const loff_t pos = iocb.ki_pos;
  std::int64_t ret;
  loff_t end = pos + static_cast<loff_t>(data.size()) - 1;
  ret = netfs_start_io_direct(ictx);
  if (ret < 0) return ret;
  MODEL_EVENT(netfs_exclusion(ictx, /*dio=*/true, /*enter=*/true));
  // The model encrypts buffered writeback only.
  SIM_ASSERT_MSG(!ictx.content_crypto, "unbuffered writes to an encrypted file are not modelled");
  if (iocb.ki_flags & IOCB_NOWAIT) {
    // We could block if there are any pages in the range. Yet a cached
    // range is written back and invalidated here, blocking as it may, and
    // the write goes on without -EAGAIN.
    ret = kEAGAIN;
    const bool cached = filemap_range_has_page(ictx.mapping, pos, end);
    if (cached && filemap_invalidate_inode(ictx.mapping, pos, end) != 0)
      goto out;
    if (cached) mark(kMarkDioNowaitOverCache);
  } else {
    ret = filemap_write_and_wait_range(ictx.mapping, pos, end);
    if (ret < 0) goto out;
  }
  // After a write we want buffered reads to go to the server for the new
  // data: drop the clean cached folios of the range first
  // (filemap_invalidate_inode).
  ret = filemap_invalidate_inode(ictx.mapping, pos, end);
  if (ret < 0) goto out;
  end = iocb.ki_pos + static_cast<loff_t>(data.size());
  if (end > ictx.zero_point) netfs_write_zero_point(ictx, end);
  // fscache_invalidate(FSCACHE_INVAL_DIO_WRITE): the cache stops being used
  // for this file (for the rest of the run, in the model).
  if (ictx.cache_enabled) {
    mark(kMarkDioDisablesCache);
    ictx.cache_enabled = false;
  }
  ret = netfs_unbuffered_write_iter_locked(iocb, data);
out:
  // A queued DIO stays in the exclusion until its completion.
  if (ret != kEIOCBQUEUED || !(iocb.ki_flags & IOCB_DIRECT))
    MODEL_EVENT(netfs_exclusion(ictx, /*dio=*/true, /*enter=*/false));
  netfs_end_io_direct(ictx);
  return ret;

}

}  // namespace wbsim::model
