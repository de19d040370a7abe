//! rfs: the network filesystem client glued onto netfs, standing in for
//! afs/9p/cifs: its netfs_request_ops send write RPCs to the RemoteServer
//! and cache writes to the LocalCache.
//!
//! Like cifs it takes a send credit in ->prepare_write (which may sleep) and
//! returns it when the RPC completes, asks for the write size again in
//! ->retry_request (a reconnect may have shrunk it), and, as cifs's
//! adjust_credits() at issue, refuses with -EAGAIN (for a retry) a
//! subrequest whose credit was granted before the last reconnect. Like afs it
//! sends writeback under the writers' keys and rotates to the next key when
//! the server refuses one (afs_get_writeback_key(), afs_retry_request();
//! fs/afs/write.c). As mainline requires
//! since 6.16, it marks -EAGAIN replies NETFS_SREQ_NEED_RETRY itself before
//! terminating the subrequest, and, as afs, a refused key when the request
//! has a writeback key to rotate from; any other error fails it.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "model/backend/cache.h"
#include "model/backend/server.h"
#include "model/netfs/request.h"

namespace wbsim::model {

struct RfsInode {
  RemoteServer* server = nullptr;
  LocalCache* cache = nullptr;
  std::uint32_t file_id = 0;
  bool use_credits = true;
  // References on the open file that ->begin_writeback took for a request
  // (as cifs_begin_writeback finds a writable file, req->cfile) and
  // ->free_request has not yet put.
  std::uint32_t writeback_file_refs = 0;
  // The server session each subrequest's send credit was granted in
  // (cifs's credits.instance), until it is issued; by request debug id and
  // subrequest index.
  std::map<std::uint64_t, std::uint64_t> credit_session;
  // Scripted: the next upload ->prepare_write fails with this error, as
  // cifs_prepare_write() does when cifs_reopen_file() cannot reopen an
  // invalidated handle (0: none).
  int fail_next_prepare = 0;
  // afs's vnode->wb_keys: the keys (users) the file's writes were made
  // with, in the order they were first cached (afs_cache_wb_key() at open
  // for writing). Writeback sends under the first that is valid and, after
  // a refusal, rotates to the next (afs_get_writeback_key(),
  // afs_retry_request()). An open file's own key (afs_file_key(), what an
  // unbuffered write or a writethrough sends under) is the first here.
  std::vector<std::uint32_t> wb_keys{1};
  // Its ->open sets FMODE_NOWAIT (none of afs, 9p, cifs does).
  bool fmode_nowait = false;
};

extern const NetfsRequestOps kRfsRequestOps;
// The same client without ->prepare_write (afs- or 9p-like): no credits,
// and retries take netfs's non-renegotiating path.
extern const NetfsRequestOps kRfsRequestOpsNoPrepare;
extern const NetfsCacheOps kRfsCacheOps;

inline RfsInode& rfs_inode(NetfsInode& ictx) { return *static_cast<RfsInode*>(ictx.fs_private); }

}  // namespace wbsim::model
