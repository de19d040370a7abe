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
#include "sim/known_finding.h"
#include "sim/scheduler.h"

namespace wbsim::model {

WBSIM_KNOWN_FINDING(kFindingRetryClobbersMaxLen, "netfs-retry-clobbers-sreq-max-len", "server-protocol",
                    "netfs/retry_grows_issuing_subreq",
                    "a retry re-split sets stream->sreq_max_len while the issuer builds a subrequest, which grows "
                    "past the wsize its credit covers");

WBSIM_KNOWN_FINDING(kFindingStreamingPastTruncatedEof, "netfs-write-folio-streaming-past-eof",
                    "assertion,server-protocol,deadlock,liveness,folio-state",
                    "netfs/truncate_streaming_folio_under_writeback",
                    "a truncate moved i_size into a dirty streaming folio at or below its dirty range; "
                    "netfs_write_folio's flen -= foff wraps, or is 0 and the folio's writeback never ends");

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
  // subreq->io_iter = *wreq_iter: the caller's bytes for an unbuffered
  // write, else the rolling buffer's folios from where the master iterator
  // stands.
  if (wreq.origin == NetfsIoOrigin::unbuffered_write || wreq.origin == NetfsIoOrigin::dio_write) {
    subreq.io_iter_start = wreq.buffer_iter_pos;
    subreq.io_iter_count = wreq.buffer_iter_count;
  } else {
    subreq.io_iter_start = rolling_buffer_iter_pos(wreq.buffer);
  }
  trace_ev(Ev::sreq_prepare, netfs_sreq_tag(subreq), static_cast<std::uint64_t>(start));

  stream.sreq_max_len = UINT_MAX;
  stream.sreq_max_segs = INT_MAX;
  stream.retry_resplit_span = 0;  // harness bookkeeping (F14)
  // The switch on stream->source: upload or cache, WARN_ON_ONCE otherwise.
  SIM_ASSERT_MSG(stream.source == NetfsIoSource::upload_to_server || stream.source == NetfsIoSource::write_to_cache,
                 "R={:08x}: a write stream {} of neither upload nor cache source", wreq.debug_id, stream.stream_nr);
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

}  // namespace

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
    // A record always holds some bytes: netfs_invalidate_folio() erases
    // one the cut reaches from its start, and trims one only at a point
    // inside it.
    SIM_ASSERT_MSG(finfo->dirty_len > 0, "folio {}: an empty streaming record at {}", folio.index,
                   finfo->dirty_offset);
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
    if (!streamw) folio_zero_segment(folio, flen, folio.size());
    to_eof = true;
    mark(kMarkEofTrim);
  } else if (flen == to_i_size) {
    to_eof = true;
  }
  // The comment above does not hold for truncate: truncate_setsize()
  // writes i_size before truncate_pagecache() locks the folio, so unless
  // the filesystem keeps writeback out of its setattr (in-tree ones do; the
  // model's does not), i_size can land inside this locked folio, below a
  // streaming record's dirty_offset. Then flen < foff and, size_t as in the
  // kernel, the subtraction wraps; at flen == foff nothing is issued and the
  // folio's writeback never ends (docs/findings.md F15).
  if (flen <= foff) sim::known_finding_reached(kFindingStreamingPastTruncatedEof);
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

  // The opt-in crypto stage (no mainline counterpart) covers the page-cache
  // writers only: netfs_write_folio_single queues nothing to encrypt.
  wreq.crypto = ictx.content_crypto && (origin == NetfsIoOrigin::writeback || origin == NetfsIoOrigin::writethrough);
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

  // Both size_t in the kernel: a limit below what the subrequest holds
  // wraps, and the append takes all it is offered.
  const bool wraps = stream.sreq_max_len < subreq->len;
  const std::uint64_t part = std::min(stream.sreq_max_len - subreq->len, len);
  subreq->len += part;
  // A retry re-split of this request set stream->sreq_max_len to its span
  // and waits in ->prepare_write for a credit, while this subrequest, whose
  // own credit covered the wsize, grows to the span (docs/findings.md); or,
  // when the span is below what the subrequest already holds, by the whole
  // part offered (the wrap). Only the issuer's own ->prepare_write and a
  // retry set the limit, and the issuer's comes before its first append.
  if (stream.source == NetfsIoSource::upload_to_server && subreq->len > wreq.wsize &&
      (subreq->len <= stream.retry_resplit_span || (wraps && stream.retry_resplit_span != 0)))
    sim::known_finding_reached(kFindingRetryClobbersMaxLen);
  ++subreq->nr_segs;
  stream.submit_extendable_to -= std::min(stream.submit_extendable_to, part);

  if (subreq->len >= stream.sreq_max_len || subreq->nr_segs >= stream.sreq_max_segs || to_eof) {
    netfs_issue_write(wreq, stream);
  }
  return part;
}

}  // namespace wbsim::model
