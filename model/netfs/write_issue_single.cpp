// Pin: fs/netfs/write_issue.c at 003aa0dd26c9 with 9871938f99cc (2026; docs/fidelity.md).
// The single-object half of write_issue.c: netfs_writeback_single and
// netfs_write_folio_single (an afs directory's blob, outside the page cache).
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

// netfs_write_folio_single(): some of a monolithic payload's folio to the
// server and/or the cache.
int netfs_write_folio_single(NetfsIoRequest& wreq, Folio& folio) {
  NetfsIoStream& upload = wreq.io_streams[0];
  NetfsIoStream& cache = wreq.io_streams[1];
  std::uint64_t iter_off = 0;
  const std::uint64_t fsize = folio.size();
  const loff_t fpos = folio.pos();
  bool to_eof = false;

  // size_t against loff_t, compared unsigned as in C: a folio wholly past
  // wreq->i_size wraps the difference, takes neither branch and goes whole.
  std::uint64_t flen = folio.size();
  const auto to_i_size = static_cast<std::uint64_t>(wreq.i_size - fpos);
  if (flen > to_i_size) {
    flen = to_i_size;
    folio_zero_segment(folio, flen, fsize);
    to_eof = true;
  } else if (flen == to_i_size) {
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
    // 9871938f99cc: a skipped write says so (1), and the inode is marked
    // dirty again, since the VFS cleared the mark. The model's flusher keeps
    // no inode dirty list (it walks mappings with dirty folios, and a single
    // object has none), so there is no mark to set.
    if (wbc.sync_mode == SyncMode::none) return 1;
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

}  // namespace wbsim::model
