// Pin: fs/netfs/write_issue.c at 003aa0dd26c9 (gregkh/linux, 2026; docs/fidelity.md).
// The issuer: walking dirty folios and building subrequests on the upload
// and cache streams (fs/netfs/write_issue.c). Function for function with the
// kernel's file.
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



namespace {

// netfs_kill_dirty_pages(): an unrecoverable error before the request
// existed; every remaining folio is cleaned without I/O.
void netfs_kill_dirty_pages(AddressSpace& mapping, WritebackControl& wbc, Folio* folio) {
  int error = 0;
  do {
    FolioPrivate priv = folio_detach_private(*folio);
    NetfsGroup* group = nullptr;
    if (priv.kind == FolioPrivate::Kind::streaming) {
      group = priv.finfo->netfs_group;
      delete priv.finfo;
    } else if (priv.kind == FolioPrivate::Kind::group) {
      group = priv.group;
    }
    folio_start_writeback(*folio);
    folio_unlock(*folio);
    folio_end_writeback(*folio);
    netfs_put_group(group);
  } while ((folio = writeback_iter(mapping, wbc, folio, &error)) != nullptr);
}

}  // namespace

// netfs_prepare_write(): allocate the stream's next subrequest at `start`.
void netfs_prepare_write(NetfsIoRequest& wreq, NetfsIoStream& stream, loff_t start) {
  // Make sure we don't point the iterator at a used-up folio_queue struct
  // being used as a placeholder to prevent the queue from collapsing. In
  // such a case, extend the queue.
  if (wreq.buffer.iter.folioq_slot >= FolioQueue::kNrSlots) rolling_buffer_make_space(wreq.buffer);
  NetfsIoSubrequest& subreq = netfs_alloc_subrequest(wreq);
  subreq.source = stream.source;
  subreq.start = start;
  subreq.stream_nr = stream.stream_nr;
  subreq.io_iter_start = start;
  trace_ev(Ev::sreq_prepare, netfs_sreq_tag(subreq), static_cast<std::uint64_t>(start));

  stream.sreq_max_len = UINT_MAX;
  stream.sreq_max_segs = INT_MAX;
  if (stream.source == NetfsIoSource::upload_to_server) stream.sreq_max_len = wreq.wsize;
  // May sleep: cifs waits for credits here.
  if (stream.prepare_write != nullptr) stream.prepare_write(subreq);

  sim::set_bit(NETFS_SREQ_IN_PROGRESS, subreq.flags);

  // The collector may walk the list while we append; it only removes from
  // the front, under the lock.
  sim::SpinGuard guard(*wreq.lock);
  stream.subrequests.push_back(&subreq);
  if (stream.subrequests.size() == 1 && !stream.active) {
    stream.collected_to = subreq.start;
    stream.active = true;  // smp_store_release: list before active
  }
  stream.construct = &subreq;
  MODEL_EVENT(subreq_added(wreq, stream, subreq, false));
}

namespace {

// netfs_do_issue_write()
void netfs_do_issue_write(NetfsIoStream& stream, NetfsIoSubrequest& subreq) {
  if (subreq.test(NETFS_SREQ_FAILED)) {
    netfs_write_subrequest_terminated(subreq, subreq.error);
    return;
  }
  trace_ev(Ev::sreq_submit, netfs_sreq_tag(subreq), subreq.len);
  MODEL_EVENT(subreq_issued(subreq, subreq.retry_count > 0));
  // With content crypto the prepared subrequest waits for its ciphertext.
  if (netfs_stall_for_crypto(*subreq.rreq, subreq)) return;
  stream.issue_write(subreq);
}

// netfs_write_folio(): attach one folio to the streams.
int netfs_write_folio(NetfsIoRequest& wreq, WritebackControl& wbc, Folio& folio) {
  NetfsIoStream& upload = wreq.io_streams[0];
  NetfsIoStream& cache = wreq.io_streams[1];
  const std::uint64_t fsize = folio.size();
  std::uint64_t flen = fsize;
  std::uint64_t foff = 0;
  const loff_t fpos = folio.pos();
  bool to_eof = false;
  bool streamw = false;
  std::uint64_t iter_off = 0;

  rolling_buffer_make_space(wreq.buffer);  // cannot fail in the model

  // netfs_perform_write() may move i_size around this folio but not into or
  // through it while we hold the lock.
  const loff_t i_size = wreq.inode->i_size;

  if (fpos >= i_size) {
    // mmap beyond EOF: no I/O.
    mark(kMarkBeyondEof);
    folio_start_writeback(folio);
    folio_unlock(folio);
    wreq.nr_group_rel += netfs_folio_written_back(folio, &wreq);
    netfs_put_group_many(wreq.group, wreq.nr_group_rel);
    wreq.nr_group_rel = 0;
    return 0;
  }
  if (fpos + static_cast<loff_t>(fsize) > wreq.i_size) wreq.i_size = i_size;

  NetfsGroup* fgroup = netfs_folio_group(folio);
  const bool copy_to_cache = folio.priv.kind == FolioPrivate::Kind::copy_to_cache;
  if (NetfsFolio* finfo = netfs_folio_info(folio)) {
    foff = finfo->dirty_offset;
    flen = foff + finfo->dirty_len;
    streamw = true;
    mark(kMarkStreamingFolio);
  }

  const std::uint64_t to_i_size = static_cast<std::uint64_t>(i_size - fpos);
  if (wreq.origin == NetfsIoOrigin::writethrough) {
    to_eof = false;
    if (flen > to_i_size) flen = to_i_size;
  } else if (flen > to_i_size) {
    flen = to_i_size;
    if (!streamw) std::fill(folio.data.begin() + static_cast<long>(flen), folio.data.end(), 0);  // folio_zero_segment
    to_eof = true;
    mark(kMarkEofTrim);
  } else if (flen == to_i_size) {
    to_eof = true;
  }
  flen -= foff;

  // Discontinuities: intervening clean folios, streaming partial folios,
  // folios of another group, and copy-to-cache folios.
  if (copy_to_cache) {
    netfs_issue_write(wreq, upload);
  } else if (fgroup != wreq.group) {
    // We can't write this folio to the server yet (the filter workaround).
    mark(kMarkGroupRedirty);
    folio_redirty_for_writepage(folio);
    folio_unlock(folio);
    netfs_issue_write(wreq, upload);
    netfs_issue_write(wreq, cache);
    return 0;
  }
  if (foff > 0) netfs_issue_write(wreq, upload);
  if (streamw) netfs_issue_write(wreq, cache);

  folio_start_writeback(folio);
  folio_unlock(folio);

  if (copy_to_cache) {
    // Before the fix the folio went on with no stream to carry it: nothing
    // is issued, nothing drives the collector past it, and it stays under
    // writeback.
    if (!cache.avail && !variant::copy_to_cache_goes_on_without_cache()) {
      netfs_issue_write(wreq, upload);
      netfs_folio_written_back(folio, &wreq);
      return 0;
    }
    mark(kMarkCopyToCache);
  } else if (!upload.avail && !cache.avail) {
    netfs_folio_written_back(folio, &wreq);
    return 0;
  }

  rolling_buffer_append(wreq.buffer, folio, 0);
  if (wreq.crypto) netfs_queue_encrypt(wreq, folio);

  // Streaming data does not go to the cache (which needs DIO alignment), and
  // copy-to-cache data does not go to the server.
  for (NetfsIoStream& stream : wreq.io_streams) {
    stream.submit_off = foff;
    stream.submit_len = flen;
    if (!stream.avail || (stream.source == NetfsIoSource::write_to_cache && streamw) ||
        (stream.source == NetfsIoSource::upload_to_server && copy_to_cache)) {
      stream.submit_off = UINT_MAX;
      stream.submit_len = 0;
    }
  }
  if (upload.submit_len > 0 && cache.submit_len > 0) mark(kMarkBothStreams);

  // Always add to the lowest-submitted stream first; for a big folio and a
  // small wsize this makes many subrequests, and prepare_write may wait for
  // credits in between.
  for (;;) {
    int choose_s = -1;
    std::uint64_t lowest_off = ULONG_MAX;
    for (int s = 0; s < NR_IO_STREAMS; ++s) {
      NetfsIoStream& st = wreq.io_streams[s];
      if (st.submit_len > 0 && st.submit_off < lowest_off) {
        lowest_off = st.submit_off;
        choose_s = s;
      }
    }
    if (choose_s < 0) break;
    NetfsIoStream& stream = wreq.io_streams[choose_s];
    // Advance the iterator(s).
    if (stream.submit_off > iter_off) {
      rolling_buffer_advance(wreq.buffer, stream.submit_off - iter_off);
      iter_off = stream.submit_off;
    }
    wreq.issued_to = fpos + static_cast<loff_t>(stream.submit_off);
    stream.submit_extendable_to = fsize - stream.submit_off;
    const std::uint64_t part = netfs_advance_write(wreq, stream, fpos + static_cast<loff_t>(stream.submit_off),
                                                   stream.submit_len, to_eof);
    stream.submit_off += part;
    stream.submit_len = part > stream.submit_len ? 0 : stream.submit_len - part;
  }
  if (fsize > iter_off) rolling_buffer_advance(wreq.buffer, fsize - iter_off);
  wreq.issued_to = fpos + static_cast<loff_t>(fsize);

  // A folio whose data stops short of its end breaks contiguity: issue what
  // is built. The test is on the end of the data (foff + flen), not its
  // length: a streaming write running to the folio's end is contiguous
  // with the next folio.
  const bool short_of_end = foff + flen < fsize || variant::early_issue_on_partial_tail(flen < fsize);
  if (short_of_end) {
    for (NetfsIoStream& stream : wreq.io_streams) netfs_issue_write(wreq, stream);
  }
  (void)wbc;
  return 0;
}

// netfs_end_issue_write(): let the collector know issuing is over.
void netfs_end_issue_write(NetfsIoRequest& wreq) {
  bool needs_poke = true;
  sim::set_bit(NETFS_RREQ_ALL_QUEUED, wreq.flags);  // after the lists (smp_wmb)
  MODEL_EVENT(all_queued(wreq));
  for (NetfsIoStream& stream : wreq.io_streams) {
    if (!stream.active) continue;
    if (!stream.subrequests.empty()) needs_poke = false;
    netfs_issue_write(wreq, stream);
  }
  if (needs_poke) netfs_wake_write_collector(wreq);
}

}  // namespace

NetfsIoRequest& netfs_create_write_req(AddressSpace& mapping, loff_t start, NetfsIoOrigin origin) {
  NetfsInode& ictx = netfs_inode(mapping);
  const bool is_cacheable = origin == NetfsIoOrigin::writeback || origin == NetfsIoOrigin::writeback_single ||
                            origin == NetfsIoOrigin::writethrough;
  NetfsIoRequest& wreq = netfs_alloc_request(ictx, start, 0, origin);

  rolling_buffer_init(wreq.buffer, wreq.debug_id);
  wreq.cleaned_to = wreq.start;

  NetfsIoStream& upload = wreq.io_streams[0];
  upload.stream_nr = 0;
  upload.source = NetfsIoSource::upload_to_server;
  upload.prepare_write = ictx.ops->prepare_write;
  upload.issue_write = ictx.ops->issue_write;
  upload.collected_to = start;

  wreq.crypto = ictx.content_crypto && is_cacheable;
  NetfsIoStream& cache = wreq.io_streams[1];
  cache.stream_nr = 1;
  cache.source = NetfsIoSource::write_to_cache;
  cache.collected_to = start;
  if (is_cacheable && ictx.cache_enabled && ictx.cache_ops != nullptr) {
    // fscache_begin_write_operation() succeeded: resources are valid.
    cache.avail = true;
    cache.active = true;
    cache.prepare_write = ictx.cache_ops->prepare_write_subreq;
    cache.issue_write = ictx.cache_ops->issue_write;
  }
  MODEL_EVENT(wreq_created(wreq));
  return wreq;
}

void netfs_prepare_write_failed(NetfsIoSubrequest& subreq) { sim::set_bit(NETFS_SREQ_FAILED, subreq.flags); }

void netfs_reissue_write(NetfsIoStream& stream, NetfsIoSubrequest& subreq) {
  // The caller has positioned the io_iter (netfs_reset_iter or a re-split);
  // it carries what is left.
  subreq.io_iter_count = subreq.len - subreq.transferred;
  ++subreq.retry_count;
  subreq.error = 0;
  sim::clear_bit(NETFS_SREQ_MADE_PROGRESS, subreq.flags);
  sim::set_bit(NETFS_SREQ_IN_PROGRESS, subreq.flags);
  netfs_do_issue_write(stream, subreq);
}

void netfs_issue_write(NetfsIoRequest& wreq, NetfsIoStream& stream) {
  NetfsIoSubrequest* subreq = stream.construct;
  if (subreq == nullptr) return;
  stream.construct = nullptr;
  subreq->io_iter_count = subreq->len;
  netfs_do_issue_write(stream, *subreq);
  (void)wreq;
}

std::uint64_t netfs_advance_write(NetfsIoRequest& wreq, NetfsIoStream& stream, loff_t start, std::uint64_t len,
                                  bool to_eof) {
  if (!stream.avail) return len;
  NetfsIoSubrequest* subreq = stream.construct;
  if (subreq != nullptr && start != subreq->start + static_cast<loff_t>(subreq->len)) {
    mark(kMarkDiscontiguity);
    netfs_issue_write(wreq, stream);
  }
  if (stream.construct == nullptr) netfs_prepare_write(wreq, stream, start);
  subreq = stream.construct;

  const std::uint64_t part = std::min(stream.sreq_max_len - subreq->len, len);
  subreq->len += part;
  ++subreq->nr_segs;
  stream.submit_extendable_to -= std::min(stream.submit_extendable_to, part);

  if (subreq->len >= stream.sreq_max_len || subreq->nr_segs >= stream.sreq_max_segs || to_eof) {
    netfs_issue_write(wreq, stream);
  }
  return part;
}

int netfs_writepages(AddressSpace& mapping, WritebackControl& wbc) {
  NetfsInode& ictx = netfs_inode(mapping);
  if (!ictx.wb_lock->trylock()) {
    if (wbc.sync_mode == SyncMode::none) return 0;
    ictx.wb_lock->lock();
  }
  int error = 0;
  Folio* folio = writeback_iter(mapping, wbc, nullptr, &error);
  if (folio == nullptr) {
    ictx.wb_lock->unlock();
    return error;
  }
  if (ictx.fail_create_write_req > 0) {
    --ictx.fail_create_write_req;
    // netfs_create_write_req() failed (-ENOMEM): clean up every folio.
    mark(kMarkKillDirtyPages);
    netfs_kill_dirty_pages(mapping, wbc, folio);
    ictx.wb_lock->unlock();
    return -12;
  }
  NetfsIoRequest& wreq = netfs_create_write_req(mapping, folio->pos(), NetfsIoOrigin::writeback);
  if (ictx.writeback_groups) wreq.group = netfs_folio_group(*folio);
  do {
    // It appears we don't have to handle cyclic writeback wrapping.
    SIM_ASSERT_MSG(folio->pos() >= wreq.issued_to, "R={:08x}: folio {} below issued_to {}", wreq.debug_id,
                   folio->pos(), wreq.issued_to);
    if (folio->priv.kind != FolioPrivate::Kind::copy_to_cache && !wreq.test(NETFS_RREQ_UPLOAD_TO_SERVER)) {
      sim::set_bit(NETFS_RREQ_UPLOAD_TO_SERVER, wreq.flags);
      ictx.ops->begin_writeback(wreq);
    }
    error = netfs_write_folio(wreq, wbc, *folio);
    if (error < 0) break;
  } while ((folio = writeback_iter(mapping, wbc, folio, &error)) != nullptr);

  netfs_end_issue_write(wreq);
  ictx.wb_lock->unlock();
  netfs_wake_write_collector(wreq);
  netfs_put_request(wreq);
  return error;
}

NetfsIoRequest& netfs_begin_writethrough(NetfsInode& ictx, loff_t pos, bool async) {
  ictx.wb_lock->lock();
  NetfsIoRequest& wreq = netfs_create_write_req(ictx.mapping, pos, NetfsIoOrigin::writethrough);
  wreq.io_streams[0].avail = true;
  // The pin sets no NETFS_RREQ_OFFLOAD_COLLECTION here: a synchronous
  // writethrough collects in its own thread (netfs_wait_for_write). Departure:
  // an asynchronous one offloads to the collector workqueue, since nothing
  // else would collect it (docs/fidelity.md, "under review").
  wreq.offload_collection = async;
  return wreq;
}

int netfs_advance_writethrough(NetfsIoRequest& wreq, WritebackControl& wbc, Folio& folio, std::uint64_t copied,
                               bool to_page_end, Folio** writethrough_cache) {
  // The folio is locked.
  if (*writethrough_cache != &folio) {
    if (*writethrough_cache != nullptr) {
      // Did the folio get moved?
      folio_put(**writethrough_cache);
      *writethrough_cache = nullptr;
    }
    // We can make multiple writes to the folio...
    *writethrough_cache = &folio;
    folio_get(folio);
  }
  wreq.len += copied;
  if (!to_page_end) {
    folio_mark_dirty(folio);
    folio_unlock(folio);
    return 0;
  }
  const int ret = netfs_write_folio(wreq, wbc, folio);
  folio_put(**writethrough_cache);
  *writethrough_cache = nullptr;
  wreq.submitted = wreq.len;
  return ret;
}

std::int64_t netfs_end_writethrough(NetfsIoRequest& wreq, WritebackControl& wbc, Folio* writethrough_cache) {
  NetfsInode& ictx = *wreq.inode;
  if (writethrough_cache != nullptr) {
    folio_lock(*writethrough_cache);
    netfs_write_folio(wreq, wbc, *writethrough_cache);
    folio_put(*writethrough_cache);
    wreq.submitted = wreq.len;
  }
  netfs_end_issue_write(wreq);
  ictx.wb_lock->unlock();
  // netfs_wait_for_write() for a synchronous kiocb: the error, or the bytes
  // transferred from wreq->start (which may run past the caller's data to
  // the end of the last folio), -EIO if not all was submitted. For an
  // asynchronous one the kernel returns -EIOCBQUEUED and the collector calls
  // ki_complete with the error or the transferred bytes clamped to the
  // caller's; the model waits and returns that value.
  const bool async = wreq.offload_collection;
  netfs_wait_for_request(wreq);
  std::int64_t ret = wreq.error;
  if (ret == 0 && async) {
    ret = static_cast<std::int64_t>(variant::writethrough_completes_unclamped() ? wreq.transferred
                                                                                : std::min(wreq.transferred, wreq.len));
  } else if (ret == 0) {
    ret = static_cast<std::int64_t>(wreq.transferred);
    if (wreq.submitted < wreq.len) ret = kEIO;  // netfs_wait_for_in_progress: a short writethrough
  }
  netfs_put_request(wreq);
  return ret;
}

namespace {

// netfs_write_folio_single(): some of a monolithic payload's folio to the
// server and/or the cache.
int netfs_write_folio_single(NetfsIoRequest& wreq, Folio& folio) {
  NetfsIoStream& upload = wreq.io_streams[0];
  NetfsIoStream& cache = wreq.io_streams[1];
  std::uint64_t iter_off = 0;
  const std::uint64_t fsize = folio.size();
  const loff_t fpos = folio.pos();
  bool to_eof = false;

  std::uint64_t flen = folio.size();
  if (static_cast<loff_t>(flen) > wreq.i_size - fpos) {
    flen = static_cast<std::uint64_t>(wreq.i_size - fpos);
    folio_zero_segment(folio, flen, fsize);
    to_eof = true;
  } else if (static_cast<loff_t>(flen) == wreq.i_size - fpos) {
    to_eof = true;
  }

  if (!upload.avail && !cache.avail) return 0;  // netfs_folio_trace_cancel_store

  // Attach the folio to the rolling buffer (NETFS_ROLLBUF_PUT_MARK: the
  // buffer's reference is put when the request is freed).
  folio_get(folio);
  rolling_buffer_append(wreq.buffer, folio, ROLLBUF_MARK_1);

  for (NetfsIoStream& stream : wreq.io_streams) {
    stream.submit_off = 0;
    stream.submit_len = flen;
    if (!stream.avail) {
      stream.submit_off = UINT_MAX;
      stream.submit_len = 0;
    }
  }
  for (;;) {
    int choose_s = -1;
    std::uint64_t lowest_off = ULONG_MAX;
    for (int s = 0; s < NR_IO_STREAMS; ++s) {
      NetfsIoStream& st = wreq.io_streams[s];
      if (st.submit_len > 0 && st.submit_off < lowest_off) {
        lowest_off = st.submit_off;
        choose_s = s;
      }
    }
    if (choose_s < 0) break;
    NetfsIoStream& stream = wreq.io_streams[choose_s];
    if (stream.submit_off > iter_off) {
      rolling_buffer_advance(wreq.buffer, stream.submit_off - iter_off);
      iter_off = stream.submit_off;
    }
    wreq.issued_to = fpos + static_cast<loff_t>(stream.submit_off);
    stream.submit_extendable_to = fsize - stream.submit_off;
    const std::uint64_t part = netfs_advance_write(wreq, stream, fpos + static_cast<loff_t>(stream.submit_off),
                                                   stream.submit_len, to_eof);
    stream.submit_off += part;
    stream.submit_len = part > stream.submit_len ? 0 : stream.submit_len - part;
  }
  wreq.buffer.iter.iov_offset = 0;
  if (fsize > iter_off) rolling_buffer_advance(wreq.buffer, fsize - iter_off);
  wreq.issued_to = fpos + static_cast<loff_t>(fsize);
  return 0;
}

}  // namespace

int netfs_writeback_single(AddressSpace& mapping, WritebackControl& wbc, const std::vector<Folio*>& payload,
                           std::uint64_t size) {
  NetfsInode& ictx = netfs_inode(mapping);
  int ret = 0;
  if (!ictx.wb_lock->trylock()) {
    if (wbc.sync_mode == SyncMode::none) return 0;
    ictx.wb_lock->lock();
  }
  NetfsIoRequest& wreq = netfs_create_write_req(mapping, 0, NetfsIoOrigin::writeback_single);
  wreq.offload_collection = true;  // __set_bit(NETFS_RREQ_OFFLOAD_COLLECTION)
  // As the kernel has it: ->begin_writeback only if UPLOAD_TO_SERVER was
  // already set, which on a new request it never is (docs/findings.md).
  const bool was_set = wreq.test(NETFS_RREQ_UPLOAD_TO_SERVER);  // __test_and_set_bit
  sim::set_bit(NETFS_RREQ_UPLOAD_TO_SERVER, wreq.flags);
  if (was_set) ictx.ops->begin_writeback(wreq);
  for (Folio* folio : payload) {
    const std::uint64_t part = std::min<std::uint64_t>(folio->size(), size);
    ret = netfs_write_folio_single(wreq, *folio);
    if (ret < 0) break;
    size -= part;
    if (size == 0) break;
  }
  for (NetfsIoStream& stream : wreq.io_streams) netfs_issue_write(wreq, stream);
  sim::set_bit(NETFS_RREQ_ALL_QUEUED, wreq.flags);  // after the lists (smp_wmb)
  MODEL_EVENT(all_queued(wreq));
  ictx.wb_lock->unlock();
  netfs_wake_write_collector(wreq);
  netfs_put_request(wreq);  // netfs_rreq_trace_put_return
  (void)wbc;
  return ret;
}

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
