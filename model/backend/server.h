//! The remote server: a stable store per file, the kernel filesystems' size
//! rule (every write sets size = max(size, end), as AFS's store RPC and most
//! servers do), a write size and send credits that can shrink between
//! attempts, and injectable faults.
//!
//! Each write RPC runs in its own fiber: it sleeps a random latency (so
//! completions arrive out of order), then applies the data, then replies.
//! Faults are swarm sites (server.*) plus scripted ones from scenarios.
//!
//! Not modelled: the wire protocol, reads racing with writes on the server
//! beyond whole-RPC atomicity, server-side caching.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "model/errno.h"
#include "model/mm/folio.h"
#include "sim/completion.h"
#include "sim/semaphore.h"
#include "sim/waitqueue.h"

namespace wbsim::model {


// Server-side range operations (fallocate's modes, copy_file_range).
enum class RangeOp : std::uint8_t { allocate, punch_hole, zero_range, collapse_range, insert_range, copy_range };

// Applies `op` to a file's bytes: the one definition of what each range
// operation does, shared by the server and the checkers' shadow model.
void apply_range_op(std::vector<std::uint8_t>& data, RangeOp op, std::uint64_t offset, std::uint64_t len,
                    std::uint64_t dest, bool keep_size);

struct ServerFile {
  std::vector<std::uint8_t> data;  // data.size() is the file size
  std::uint64_t writes = 0;
  // The keys (users) allowed to write the file, as an AFS ACL admits them;
  // both lists empty: keys are not checked. A write RPC under any other key
  // is refused with -EACCES.
  std::vector<std::uint32_t> acl;
  std::vector<std::uint32_t> revoked;  // taken out of the ACL during the run
};

class RemoteServer {
 public:
  struct Options {
    std::uint64_t wsize = 64 * 1024;
    std::uint64_t credits = 8;  // concurrent write RPCs allowed (cifs-like)
    sim::Time latency_min = 100 * sim::kUs;
    sim::Time latency_max = 2 * sim::kMs;
  };
  explicit RemoteServer(Options options);

  ServerFile& file(std::uint32_t id);
  std::uint64_t wsize() const { return wsize_; }
  sim::Semaphore& credits() { return *credits_; }

  // Sends a write RPC carrying `credits` send credits (cifs-like clients:
  // one per RPC, which then may be at most wsize long; 0 for clients that
  // negotiate no credits); `reply` runs in the RPC's fiber with the bytes
  // transferred or a negative errno.
  // `key` is the client's credential for the RPC (0: none, the anonymous
  // user; checked only against a file with an ACL).
  void write_async(std::uint32_t file_id, loff_t pos, std::vector<std::uint8_t> bytes,
                   std::function<void(std::int64_t)> reply, std::uint32_t credits = 0, std::uint32_t key = 0);
  // Whether a write RPC under `key` is admitted now.
  bool admits(std::uint32_t file_id, std::uint32_t key);
  // A synchronous read RPC (zeros past EOF are not returned: short read).
  std::vector<std::uint8_t> read(std::uint32_t file_id, loff_t pos, std::uint64_t len);
  // Size-changing RPCs (setattr for truncate, SMB2_set_eof): the size the
  // file had when the server applied it.
  std::uint64_t truncate(std::uint32_t file_id, loff_t size);
  // Range operations the server carries out itself (fallocate's modes and
  // copy_file_range offloaded to the server, as SMB3 and NFSv4.2 do):
  // synchronous RPCs. Returns 0 or -errno.
  int range_op(std::uint32_t file_id, RangeOp op, loff_t offset, std::uint64_t len, loff_t dest, bool keep_size);
  // For workloads whose oracle cannot know what an error lost (fsx replay):
  // the permanent-error fault site stays off.
  void forbid_data_loss();
  // The short-write fault site stays off (replays whose transcript must
  // run to the end; see fsx/engine.cpp).
  void forbid_short_writes();

  // Scripted faults.
  void stall_until_released() { stalled_ = true; }
  void release() {
    stalled_ = false;
    stall_wq_.wake_up();
  }
  void fail_next(int error) { scripted_errors_.push_back(error); }
  // Takes `key` out of the file's ACL (an administrator removed the user's
  // write right, or the user's token was revoked): the RPCs it carries are
  // refused from now, including ones in flight. The liveness phase puts it
  // back.
  void revoke_key(std::uint32_t file_id, std::uint32_t key);
  void short_write_next(std::uint64_t transferred) { scripted_short_.push_back(transferred); }
  // The replies of the next write RPCs, in the order they are sent, before
  // any other scripted or swarm fault: an error, or 0 and at most
  // `max_bytes` stored. (A refused key comes first: it uses up the reply.)
  struct Reply {
    int error = 0;
    std::uint64_t max_bytes = UINT64_MAX;
  };
  void script_replies(std::initializer_list<Reply> replies) { scripted_replies_.insert(scripted_replies_.end(), replies); }
  void set_wsize(std::uint64_t wsize) { wsize_ = wsize; }
  // Shrinks the write size (a reconnect renegotiated it); called by the
  // filesystem's retry_request when the swarm fault fires.
  void maybe_shrink_wsize();
  // Bumped by every reconnect (a renegotiated wsize): credits granted in an
  // earlier session no longer cover a request.
  std::uint64_t session() const { return session_; }
  void heal();  // liveness phase: no more scripted faults, stalls released

  std::uint64_t rpcs_in_flight() const { return in_flight_; }

 private:
  Options options_;
  std::uint64_t wsize_;
  std::unique_ptr<sim::Semaphore> credits_;
  std::vector<std::unique_ptr<ServerFile>> files_;
  bool stalled_ = false;
  bool healed_ = false;
  sim::WaitQueue stall_wq_{"server.stall"};
  std::deque<int> scripted_errors_;
  std::deque<std::uint64_t> scripted_short_;
  std::deque<Reply> scripted_replies_;
  std::uint64_t in_flight_ = 0;
  std::uint64_t credits_in_flight_ = 0;
  std::uint64_t session_ = 0;  // credits carried by RPCs in flight
  std::uint32_t rpc_seq_ = 0;
};

}  // namespace wbsim::model
