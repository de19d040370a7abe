// Pin: fs/netfs/direct_read.c at 3394ade23d7e (gregkh/linux, 2026; docs/fidelity.md).
// Unbuffered and direct reads: the page cache over the range is written back,
// then bypassed; the read goes to the server in slices of the stream's
// largest subrequest. The collection is read_collect.c's for a request that
// is not BUFFERED (netfs_collect_read_results, netfs_rreq_assess_dio), and
// the short-read rules are netfs_read_subreq_terminated()'s.
//
// Reduced as the model's read side is (docs/model.md): ->issue_read is a
// synchronous RPC, so a subrequest terminates when issue_read returns. An
// asynchronous kiocb's RPCs, which the kernel has in flight once the
// submitter returns -EIOCBQUEUED, are sent by a work item that then collects
// and completes the kiocb. A partial read is resent for its remainder in
// place (netfs_reissue_read), without the rest of netfs_retry_reads.
#include <algorithm>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "model/errno.h"
#include "model/events.h"
#include "model/mm/page_writeback.h"
#include "model/netfs/internal.h"
#include "model/netfs/marks.h"
#include "model/netfs/netfs.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/completion.h"
#include "sim/known_finding.h"
#include "sim/scheduler.h"

namespace wbsim::model {

WBSIM_MARK(kMarkUnbufferedRead, "netfs.unbuffered_read", "an unbuffered or direct read went to the server");
WBSIM_MARK(kMarkUnbufferedReadShort, "netfs.unbuffered_read_short", "an unbuffered read's subrequest came back short");
WBSIM_MARK(kMarkUnbufferedReadNoData, "netfs.unbuffered_read_enodata",
           "an unbuffered read's subrequest made no progress short of i_size (-ENODATA)");

WBSIM_KNOWN_FINDING(kFindingDioReadEnodata, "netfs-dio-read-enodata-below-i_size", "data-integrity",
                    "netfs/dio_read_hole_past_server_eof",
                    "an unbuffered read short of i_size with no progress fails the whole read with -ENODATA");

namespace {

// netfs_prepare_dio_read_iterator(): the subrequest takes the next slice of
// the buffer, no longer than the stream allows.
void netfs_prepare_dio_read_iterator(NetfsIoSubrequest& subreq) {
  NetfsIoRequest& rreq = *subreq.rreq;
  subreq.len = std::min(subreq.len, rreq.io_streams[0].sreq_max_len);
  subreq.io_iter_start = rreq.buffer_iter_pos;
  subreq.io_iter_count = subreq.len;
  rreq.buffer_iter_advance(subreq.len);
}

// netfs_read_subreq_terminated(): classify a short read, then clear
// IN_PROGRESS.
void netfs_read_subreq_terminated(NetfsIoSubrequest& subreq) {
  NetfsIoRequest& rreq = *subreq.rreq;
  if (subreq.error == 0 && subreq.transferred < subreq.len) {
    mark(kMarkUnbufferedReadShort);
    if (subreq.test(NETFS_SREQ_HIT_EOF)) {
      // netfs_sreq_trace_hit_eof
    } else if (subreq.test(NETFS_SREQ_NEED_RETRY)) {
      // netfs_sreq_trace_need_retry
    } else if (subreq.test(NETFS_SREQ_MADE_PROGRESS)) {
      sim::set_bit(NETFS_SREQ_NEED_RETRY, subreq.flags);  // netfs_sreq_trace_partial_read
    } else {
      mark(kMarkUnbufferedReadNoData);
      // The finding is a read short of i_size; one at or past it that ends
      // here lost its NETFS_SREQ_HIT_EOF, which is no finding of mainline.
      if (subreq.start + static_cast<loff_t>(subreq.transferred) < rreq.inode->i_size)
        sim::known_finding_reached(kFindingDioReadEnodata);
      sim::set_bit(NETFS_SREQ_FAILED, subreq.flags);  // netfs_sreq_trace_short
      subreq.error = kENODATA;
    }
  }
  if (!subreq.test(NETFS_SREQ_NEED_RETRY) && subreq.error < 0) {
    sim::set_bit(NETFS_SREQ_FAILED, subreq.flags);  // a download failure
    sim::set_bit(NETFS_RREQ_PAUSE, rreq.flags);
  }
  trace_ev(Ev::sreq_terminated, netfs_sreq_tag(subreq),
           subreq.error < 0 ? static_cast<std::uint64_t>(subreq.error) : subreq.transferred);
  sim::clear_bit(NETFS_SREQ_IN_PROGRESS, subreq.flags);  // netfs_subreq_clear_in_progress
  netfs_put_subrequest(subreq);                          // netfs_sreq_trace_put_terminated
}

// The filesystem's ->issue_read for a download (as 9p's v9fs_issue_read):
// read from the server into the subrequest's slice of the buffer; a read
// that reaches the inode's i_size is short because of EOF; the tail of an
// unbuffered read is not cleared (no NETFS_SREQ_CLEAR_TAIL).
void netfs_issue_download(NetfsIoSubrequest& subreq) {
  NetfsIoRequest& rreq = *subreq.rreq;
  NetfsInode& ictx = *rreq.inode;
  const loff_t pos = subreq.start + static_cast<loff_t>(subreq.transferred);
  trace_ev(Ev::sreq_submit, netfs_sreq_tag(subreq), subreq.len - subreq.transferred);
  MODEL_EVENT(read_subreq_issued(rreq, subreq, pos, subreq.len - subreq.transferred));
  const auto bytes = ictx.ops->issue_read(ictx, pos, subreq.len - subreq.transferred);
  SIM_ASSERT_CMP(bytes.size(), <=, subreq.len - subreq.transferred);
  // The filesystem reads into subreq->io_iter, the slice of the caller's
  // buffer netfs_prepare_dio_read_iterator() cut for it and that the
  // transport consumes as bytes arrive: the bytes land where the iterator
  // points, not where the file position would put them, so a slicing
  // mistake reaches the application as it would in the kernel.
  const loff_t at = subreq.io_iter_start - rreq.start + static_cast<loff_t>(subreq.transferred);
  SIM_ASSERT_CMP(static_cast<std::uint64_t>(at) + bytes.size(), <=, rreq.bounce.size());
  // std::copy, not memcpy: a read at or past the server's EOF returns no
  // bytes, and an empty vector's data() may be null.
  std::copy(bytes.begin(), bytes.end(), rreq.bounce.begin() + at);
  if (pos + static_cast<loff_t>(bytes.size()) >= ictx.i_size) sim::set_bit(NETFS_SREQ_HIT_EOF, subreq.flags);
  if (!bytes.empty()) {
    subreq.transferred += bytes.size();
    sim::set_bit(NETFS_SREQ_MADE_PROGRESS, subreq.flags);
  }
  subreq.error = 0;
  netfs_read_subreq_terminated(subreq);
}

// netfs_reissue_read() for a partial read: the rest of the subrequest.
void netfs_reissue_read(NetfsIoSubrequest& subreq) {
  subreq.error = 0;
  sim::clear_bit(NETFS_SREQ_MADE_PROGRESS, subreq.flags);
  sim::clear_bit(NETFS_SREQ_NEED_RETRY, subreq.flags);
  sim::set_bit(NETFS_SREQ_IN_PROGRESS, subreq.flags);
  subreq.retry_count += 1;
  trace_ev(Ev::sreq_retry, netfs_sreq_tag(subreq), static_cast<std::uint64_t>(subreq.start));
  netfs_get_subrequest(subreq);  // netfs_sreq_trace_get_resubmit
  netfs_issue_download(subreq);
}

// Sends the subrequests of the stream in order, resending partial reads.
void netfs_issue_unbuffered_reads(NetfsIoRequest& rreq) {
  NetfsIoStream& stream = rreq.io_streams[0];
  for (NetfsIoSubrequest* subreq : std::vector<NetfsIoSubrequest*>(stream.subrequests.begin(), stream.subrequests.end())) {
    netfs_issue_download(*subreq);
    while (subreq->test(NETFS_SREQ_NEED_RETRY)) netfs_reissue_read(*subreq);
    if (rreq.test(NETFS_RREQ_PAUSE)) break;  // a failure: the rest is abandoned unsent
  }
}

// netfs_collect_read_results() for a request that is not BUFFERED: consume
// the stream's subrequests in order; a short one stops the count of
// transferred bytes (NETFS_RREQ_SHORT_TRANSFER), a failed one fails the
// request.
void netfs_collect_read_results(NetfsIoRequest& rreq) {
  NetfsIoStream& stream = rreq.io_streams[0];
  while (NetfsIoSubrequest* front = stream.front()) {
    if (stream.collected_to < front->start) stream.collected_to = front->start;
    if (front->test(NETFS_SREQ_IN_PROGRESS)) break;  // unsent: the request failed before it
    stream.collected_to = front->start + static_cast<loff_t>(front->transferred);
    rreq.collected_to = stream.collected_to;
    if (front->test(NETFS_SREQ_FAILED)) {
      if (!stream.failed) {
        stream.error = front->error;
        rreq.error = front->error;
        sim::set_bit(NETFS_RREQ_FAILED, rreq.flags);
        stream.failed = true;
      }
    } else if (!rreq.test(NETFS_RREQ_SHORT_TRANSFER)) {
      if (!stream.failed) {
        stream.transferred += front->transferred;
        stream.transferred_valid = true;
      }
      if (front->transferred < front->len) sim::set_bit(NETFS_RREQ_SHORT_TRANSFER, rreq.flags);
    }
    {
      sim::SpinGuard guard(*rreq.lock);
      stream.subrequests.pop_front();
    }
    trace_ev(Ev::collect, rreq.debug_id, static_cast<std::uint64_t>(rreq.collected_to));
    netfs_put_subrequest(*front);  // netfs_sreq_trace_put_done
  }
  rreq.cleaned_to = rreq.collected_to;
  MODEL_EVENT(read_collected(rreq));
}

// netfs_rreq_assess_dio(): complete an asynchronous kiocb, end the DIO.
void netfs_rreq_assess_dio(NetfsIoRequest& rreq) {
  if (rreq.iocb != nullptr) {
    rreq.iocb->ki_pos += static_cast<loff_t>(rreq.transferred);
    if (rreq.iocb->ki_complete)
      rreq.iocb->ki_complete(*rreq.iocb, rreq.error != 0 ? rreq.error : static_cast<std::int64_t>(rreq.transferred));
    MODEL_EVENT(netfs_exclusion(*rreq.inode, /*dio=*/true, /*enter=*/false));  // leaves as its count drops
  }
  inode_dio_end(*rreq.inode);
}

// netfs_read_collection(): once every subrequest is consumed, the request
// is done. Subrequests left unsent behind a failure are dropped.
void netfs_read_collection(NetfsIoRequest& rreq) {
  NetfsIoStream& stream = rreq.io_streams[0];
  netfs_collect_read_results(rreq);
  SIM_ASSERT(rreq.test(NETFS_RREQ_ALL_QUEUED));
  netfs_clear_subrequests(rreq);  // the abandoned, unsent tail
  rreq.transferred = stream.transferred;
  netfs_rreq_assess_dio(rreq);
  sim::clear_and_wake_up_bit(NETFS_RREQ_IN_PROGRESS, rreq.flags);  // netfs_wake_rreq_flag
  rreq.waitq->wake_up();
  // As we cleared NETFS_RREQ_IN_PROGRESS, we acquired its ref.
}

// netfs_dispatch_unbuffered_reads(): slice the request into subrequests.
// The model sends them afterwards (netfs_issue_unbuffered_reads): its RPCs
// are synchronous.
void netfs_dispatch_unbuffered_reads(NetfsIoRequest& rreq) {
  NetfsIoStream& stream = rreq.io_streams[0];
  loff_t start = rreq.start;
  std::int64_t size = static_cast<std::int64_t>(rreq.len);
  do {
    NetfsIoSubrequest& subreq = netfs_alloc_subrequest(rreq);
    subreq.source = NetfsIoSource::download_from_server;
    subreq.start = start;
    subreq.len = static_cast<std::uint64_t>(size);
    sim::set_bit(NETFS_SREQ_IN_PROGRESS, subreq.flags);
    {
      sim::SpinGuard guard(*rreq.lock);
      stream.subrequests.push_back(&subreq);
      if (stream.subrequests.size() == 1 && !stream.active) {
        stream.collected_to = subreq.start;
        stream.active = true;
      }
    }
    MODEL_EVENT(read_subreq_queued(rreq, stream, subreq));
    if (rreq.inode->ops->prepare_read != nullptr) rreq.inode->ops->prepare_read(subreq);
    netfs_prepare_dio_read_iterator(subreq);
    trace_ev(Ev::sreq_prepare, netfs_sreq_tag(subreq), static_cast<std::uint64_t>(subreq.start));
    const auto slice = static_cast<std::int64_t>(subreq.len);
    size -= slice;
    start += slice;
    rreq.submitted += static_cast<std::uint64_t>(slice);
    if (size <= 0) sim::set_bit(NETFS_RREQ_ALL_QUEUED, rreq.flags);
  } while (size > 0);
}

// netfs_unbuffered_read(): the DIO count covers the request until it is
// assessed. Returns bytes read, -errno, or -EIOCBQUEUED.
std::int64_t netfs_unbuffered_read(NetfsIoRequest& rreq, bool sync) {
  SIM_ASSERT_CMP(rreq.len, >, 0u);  // the caller returned 0 for an empty read
  inode_dio_begin(*rreq.inode);
  netfs_dispatch_unbuffered_reads(rreq);
  mark(kMarkUnbufferedRead);
  if (sync) {
    netfs_issue_unbuffered_reads(rreq);
    netfs_read_collection(rreq);  // netfs_wait_for_read, collecting in the app thread
    const std::int64_t ret = rreq.error != 0 ? rreq.error : static_cast<std::int64_t>(rreq.transferred);
    netfs_put_request(rreq);  // the IN_PROGRESS ref
    return ret;
  }
  netfs_get_request(rreq);  // the work item's
  rreq.work = std::make_unique<sim::Work>(fmt::format("R={:08x}.dio_read", rreq.debug_id), [&rreq] {
    netfs_issue_unbuffered_reads(rreq);
    netfs_read_collection(rreq);
    netfs_put_request(rreq);  // the IN_PROGRESS ref
    netfs_put_request(rreq);  // the work item's
  });
  rreq.inode->collector_wq->queue_work(*rreq.work);
  return kEIOCBQUEUED;
}

// netfs_unbuffered_read_iter_locked(): the caller holds the I/O lock. The
// destination is the request's buffer; a synchronous caller copies out.
std::int64_t netfs_unbuffered_read_iter_locked(Kiocb& iocb, std::uint64_t count, std::vector<std::uint8_t>& out,
                                               std::shared_ptr<std::vector<std::uint8_t>> async_out,
                                               bool& flush_failed) {
  NetfsInode& ictx = *iocb.ki_filp->inode;
  if (count == 0) return 0;
  const int err = filemap_write_and_wait_range(ictx.mapping, iocb.ki_pos,
                                               iocb.ki_pos + static_cast<loff_t>(count) - 1);  // kiocb_write_and_wait
  if (err < 0) {
    flush_failed = true;
    return err;
  }
  NetfsIoRequest& rreq = netfs_alloc_request(
      ictx, iocb.ki_pos, count, (iocb.ki_flags & IOCB_DIRECT) ? NetfsIoOrigin::dio_read : NetfsIoOrigin::unbuffered_read);
  rreq.io_streams[0].sreq_max_len = UINT64_MAX;  // as netfs_alloc_request sets it
  rreq.bounce.assign(count, 0);  // the extracted user buffer
  rreq.buffer_iter_pos = iocb.ki_pos;
  rreq.buffer_iter_count = count;
  rreq.len = count;
  const bool sync = is_sync_kiocb(iocb);
  if (!sync) {
    rreq.iocb = &iocb;
    rreq.offload_collection = true;
    // The user's pages are written as the RPCs land; the model copies the
    // buffer out when the kiocb completes.
    auto complete = iocb.ki_complete;
    iocb.ki_complete = [complete, async_out, &rreq](Kiocb& k, std::int64_t res) {
      if (res > 0) async_out->assign(rreq.bounce.begin(), rreq.bounce.begin() + res);
      complete(k, res);
    };
  }
  std::int64_t ret = netfs_unbuffered_read(rreq, sync);
  if (ret >= 0 && sync) {
    iocb.ki_pos += static_cast<loff_t>(rreq.transferred);
    ret = static_cast<std::int64_t>(rreq.transferred);
    out.assign(rreq.bounce.begin(), rreq.bounce.begin() + ret);
  }
  netfs_put_request(rreq);  // netfs_rreq_trace_put_return
  return ret;
}

}  // namespace

std::int64_t netfs_unbuffered_read_iter(NetfsFile& file, loff_t pos, std::uint64_t len, std::vector<std::uint8_t>& out,
                                        bool aio) {
  return netfs_unbuffered_read_call(file, pos, len, out, file.f_iocb_flags | IOCB_DIRECT, aio);
}

std::int64_t netfs_unbuffered_read_call(NetfsFile& file, loff_t pos, std::uint64_t len, std::vector<std::uint8_t>& out,
                                        unsigned ki_flags, bool aio) {
  NetfsInode& ictx = *file.inode;
  out.clear();
  if (len == 0) return 0;
  MODEL_EVENT(read_begin(ictx));
  struct Cqe {
    sim::Completion done{"cqe"};
    std::int64_t res = 0;
  };
  auto cqe = std::make_shared<Cqe>();
  auto async_out = std::make_shared<std::vector<std::uint8_t>>();
  bool flush_failed = false;
  Kiocb iocb{&file, pos, ki_flags, {}};
  if (aio) {
    iocb.ki_complete = [cqe](Kiocb&, std::int64_t res) {
      cqe->res = res;
      cqe->done.complete();
    };
  }
  // netfs_unbuffered_read_iter()
  std::int64_t ret = netfs_start_io_direct(ictx);
  if (ret == 0) {
    MODEL_EVENT(netfs_exclusion(ictx, /*dio=*/true, /*enter=*/true));
    ret = netfs_unbuffered_read_iter_locked(iocb, len, out, async_out, flush_failed);
    if (ret != kEIOCBQUEUED) MODEL_EVENT(netfs_exclusion(ictx, /*dio=*/true, /*enter=*/false));
    netfs_end_io_direct(ictx);
  }
  if (ret == kEIOCBQUEUED) {  // io_submit(2) then io_getevents(2)
    cqe->done.wait();
    ret = cqe->res;
    out = *async_out;
  }
  if (ret < 0) {
    MODEL_EVENT(read_failed(ictx, pos, len, ret, flush_failed));
  } else {
    MODEL_EVENT(read_returned(ictx, pos, out));
  }
  return ret;
}

}  // namespace wbsim::model
