// Pin: fs/netfs/write_issue.c at 003aa0dd26c9 (gregkh/linux, 2026; docs/fidelity.md).
// The writethrough half of write_issue.c: netfs_begin_writethrough,
// netfs_advance_writethrough and netfs_end_writethrough, which
// netfs_perform_write calls for IOCB_DSYNC/IOCB_SYNC writes.
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

}  // namespace wbsim::model
