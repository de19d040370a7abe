//! Trace reasons of the model (codes 64 and up; the runtime owns 0-63).
//! Symbols follow the kernel's netfs tracepoints where one exists.
#pragma once

#include <cstdint>

#include "sim/scheduler.h"
#include "sim/trace.h"

namespace wbsim::model {

enum class Ev : std::uint16_t {
  folio_dirty = static_cast<std::uint16_t>(sim::Reason::sim_reasons_end),  // FDIRT a=index
  folio_clear_dirty,     // FCLDT folio_clear_dirty_for_io, a=index
  folio_redirty,         // FRDRT folio_redirty_for_writepage, a=index
  folio_start_wb,        // FSTWB a=index
  folio_end_wb,          // FENWB a=index
  folio_lock,            // FLOCK a=index
  folio_unlock,          // FUNLK a=index
  folio_add,             // FADD  added to the page cache, a=index b=order
  folio_remove,          // FDEL  removed from the page cache, a=index
  wreq_alloc,            // WREQ  write request created, a=request id b=origin
  wreq_done,             // WDONE write request completed, a=request id b=transferred
  sreq_prepare,          // PREP  subrequest prepared, a=R<<16|index<<4|stream b=start
  sreq_submit,           // SUBMT subrequest issued, a=R<<16|index<<4|stream b=len
  sreq_terminated,       // TERM  subrequest terminated, a=R<<16|index<<4|stream b=transferred or error
  sreq_retry,            // RETRY subrequest re-prepared for retry, a=R<<16|index<<4|stream b=start
  sreq_discard,          // DISCD surplus subrequest dropped on retry
  collect,               // COLCT collector pass, a=request id b=collected_to
  collect_gap,           // CGAP  collector gap jump, a=stream b=new collected_to
  pause_set,             // PAUSE NETFS_RREQ_PAUSE set
  pause_clear,           // UNPAU NETFS_RREQ_PAUSE cleared
  server_write,          // SRVWR server applied a write, a=start b=len
  server_size,           // SRVSZ server file size changed, a=old b=new
  cache_write,           // CHWR  cache stored, a=start b=len
  cache_withdrawn,       // CHWDR cache withdrawn
  mapping_error,         // MAPER mapping_set_error, a=-errno
  i_size,                // ISIZE i_size changed, a=old b=new
  zero_point,            // ZPNT  zero_point changed, a=old b=new
  server_range_op,       // SRVOP server-side range operation, a=RangeOp b=offset
  fuse_queue,            // FQUE  FUSE request queued (pending), a=unique b=opcode
  fuse_read,             // FREAD FUSE request read by a server thread (processing), a=unique
  fuse_end,              // FEND  FUSE request ended, a=unique b=-error
  fuse_conn,             // FCONN FUSE server/connection state: a=0 crash, 1 restart, 2 abort; b=lost requests
  netfs_folio,           // NFOLI trace_netfs_folio, a=index b=enum netfs_folio_trace (model/netfs/trace.h)
  ploop_rq,              // PLRQ  a dm-ploop request began (b=op) or ended (b=1000+status), a=request id
  ploop_rw,              // PLRW  a pio went to the image file, a=pio id b=file offset
  ploop_md,              // PLMD  an md page's status changed, a=md id b=new status (2 dirty, 4 writeback)
  ploop_piwb,            // PLWB  an index writeback stage, a=piwb id b=stage (0 prepared, 1 md write, 2 flush, 3 done)
  ploop_alloc,           // PLAL  a cluster allocated, a=device cluster b=file cluster
  ploop_fsync,           // PLFS  vfs_fsync of the image, a=0 begin / 1 end, b=-errno
  ploop_resize,          // PLRS  a grow began (a=0, b=new number of clusters) or ended (a=1, b=-errno)
  folio_migrate,         // FMIGR page migration moved a folio, a=index b=id of the new folio
  server_acl,            // SRVKY a key left (a=0) or rejoined (a=1) a file's ACL, b=key
  end,
};

// Registers the symbols above with the trace formatter (idempotent).
void register_trace_reasons();

// One trace line for a model transition with no object of its own.
inline void trace_ev(Ev e, std::uint64_t a, std::uint64_t b) {
  sim::Scheduler::current().trace(static_cast<std::uint16_t>(e), sim::kNoObject, a, b);
}

}  // namespace wbsim::model
