// server-protocol: the requests the server and cache models receive are
// ones the real server would accept.
//
// - A client whose session charges credits (cifs-like, a credit taken in
//   ->prepare_write) charges every write RPC, retries too; an RPC
//   carrying send credits is at most the write size the server
//   negotiated, and the credits of the RPCs in flight never exceed those
//   granted. A client that negotiates no credits (afs- or 9p-like, no
//   ->prepare_write) is not held to the wsize: its retries are reissued
//   with no size limit, as netfs has them.
// - Whatever the client, a write subrequest's first issue is at most the
//   largest wsize the server negotiated since its request was made:
//   netfs_prepare_write() bounds it by wreq->wsize, which ->init_request
//   or ->begin_writeback sets from the server's (9p's iounit or msize,
//   afs's, SMB's MaxWriteSize). Only a retry may be larger.
// - An unbuffered read's RPC is not empty and at most the negotiated I/O
//   size too.
// - A write RPC is not empty, and covers only bytes the client holds for
//   it: folios of the file under writeback, or the range of an unbuffered
//   write in progress. (A server would take anything; a client that sends
//   what it does not hold sends stale or freed memory.)
#include <algorithm>
#include <iterator>
#include <map>

#include "checkers/checker.h"
#include "model/backend/rfs.h"
#include "model/mm/filemap.h"
#include "model/netfs/netfs.h"
#include "model/world.h"

namespace wbsim::checkers {

WBSIM_CHECKER(kServerProtocol, "server-protocol",
              "a write or read RPC fits the negotiated I/O size and the credits granted, as the server would require");

namespace {

class ServerProtocol final : public Checker {
 public:
  void server_write_rpc(std::uint32_t file_id, model::loff_t pos, std::uint64_t len, std::uint32_t credits,
                        std::uint64_t wsize, std::uint64_t in_flight, std::uint64_t granted) override {
    WBSIM_CHECK(kServerProtocol, len > 0, "file {}: an empty write RPC at {}", file_id, pos);
    const model::NetfsInode* inode = inode_of(file_id);
    if (inode != nullptr) check_held(*inode, file_id, static_cast<std::uint64_t>(pos), static_cast<std::uint64_t>(pos) + len);
    // A client whose session charges credits (cifs: ->prepare_write waits
    // for them) charges every write RPC, a retried one too: the server
    // refuses an uncharged request.
    if (inode != nullptr && static_cast<const model::RfsInode*>(inode->fs_private)->use_credits)
      WBSIM_CHECK(kServerProtocol, credits > 0,
                  "file {}: a write RPC of {} bytes at {} carries no credit, but the client's session charges "
                  "credits (its ->prepare_write takes them)",
                  file_id, len, pos);
    if (credits == 0) return;
    WBSIM_CHECK(kServerProtocol, len <= wsize,
                "file {}: a write RPC of {} bytes at {} with {} credit(s), but the negotiated wsize is {}", file_id,
                len, pos, credits, wsize);
    WBSIM_CHECK(kServerProtocol, in_flight <= granted,
                "file {}: a write RPC at {} brings the credits in flight to {}, but the server granted {}", file_id,
                pos, in_flight, granted);
  }

  // A read RPC is held to the I/O size the server negotiated as a write is
  // (9p's msize, SMB's MaxReadSize: a larger request is refused). Every
  // client of the model's server bounds its reads in ->prepare_read.
  void read_subreq_issued(const model::NetfsIoRequest& rreq, const model::NetfsIoSubrequest& subreq,
                          model::loff_t pos, std::uint64_t len) override {
    const auto& rfs = *static_cast<const model::RfsInode*>(rreq.inode->fs_private);
    WBSIM_CHECK(kServerProtocol, len > 0, "file {}: an empty read RPC at {}", rfs.file_id, pos);
    WBSIM_CHECK(kServerProtocol, len <= rfs.server->wsize(),
                "file {}: a read RPC of {} bytes at {}, but the negotiated I/O size is {}", rfs.file_id, len, pos,
                rfs.server->wsize());
  }

  void wreq_created(const model::NetfsIoRequest& wreq) override {
    if (const auto* rfs = rfs_of(*wreq.inode)) max_wsize_[wreq_key(wreq)] = rfs->server->wsize();
  }

  void subreq_issued(const model::NetfsIoSubrequest& r, bool retry) override {
    const auto* rfs = rfs_of(*r.rreq->inode);
    if (rfs == nullptr || r.source != model::NetfsIoSource::upload_to_server) return;
    std::uint64_t& most = max_wsize_[wreq_key(*r.rreq)];
    most = std::max(most, rfs->server->wsize());
    if (retry) return;
    WBSIM_CHECK(kServerProtocol, r.len <= most,
                "file {}: {} issued for the first time with {} bytes, but the server negotiated a wsize of at most {} "
                "since the request was made (netfs_prepare_write bounds it by wreq->wsize)",
                rfs->file_id, sreq_name(r), r.len, most);
  }

  void world_created(model::World& w) override { world_ = &w; }
  void world_destroyed(model::World& w) override { world_ = nullptr; }
  void write_begin(const model::NetfsInode& inode, model::loff_t pos, std::uint64_t len, bool unbuffered) override {
    if (unbuffered) unbuffered_[current_fiber()] = {inode.ino, static_cast<std::uint64_t>(pos), len};
  }
  void write_returned(const model::NetfsInode& inode, model::loff_t pos, std::span<const std::uint8_t> data,
                      std::int64_t ret, bool unbuffered) override {
    if (unbuffered) unbuffered_.erase(current_fiber());
  }

 private:
  struct Unbuffered {
    std::uint32_t ino;
    std::uint64_t pos, len;
  };

  static const model::RfsInode* rfs_of(const model::NetfsInode& i) {
    if (i.fs_private == nullptr || (i.ops != &model::kRfsRequestOps && i.ops != &model::kRfsRequestOpsNoPrepare))
      return nullptr;
    return static_cast<const model::RfsInode*>(i.fs_private);
  }

  // The rfs inode the server knows as `file_id`, if the world has it.
  const model::NetfsInode* inode_of(std::uint32_t file_id) const {
    if (world_ == nullptr) return nullptr;
    const model::NetfsInode* inode = nullptr;
    for (const auto& i : world_->files()) {
      const model::RfsInode* rfs = rfs_of(*i);
      if (rfs != nullptr && rfs->file_id == file_id) inode = i.get();
    }
    return inode;
  }

  void check_held(const model::NetfsInode& node, std::uint32_t file_id, std::uint64_t from, std::uint64_t to) {
    const model::NetfsInode* inode = &node;
    for (std::uint64_t b = from; b < to;) {
      std::uint64_t next = b;
      for (const auto& [fiber, u] : unbuffered_) {
        if (u.ino == inode->ino && u.pos <= b && b < u.pos + u.len) next = std::max(next, u.pos + u.len);
      }
      if (next == b) {
        const auto& folios = inode->mapping.folios;
        auto it = folios.upper_bound(static_cast<model::pgoff_t>(b >> model::kPageShift));
        const model::Folio* f = nullptr;
        if (it != folios.begin()) {
          const model::Folio* prev = std::prev(it)->second;
          if (static_cast<std::uint64_t>(prev->pos()) + prev->size() > b) f = prev;
        }
        WBSIM_CHECK(kServerProtocol, f != nullptr && model::folio_test_writeback(*f),
                    "file {}: a write RPC of {}..{} covers byte {}, which the client holds neither in a folio under "
                    "writeback{} nor in an unbuffered write",
                    file_id, from, to - 1, b, f == nullptr ? " (no folio there)" : "");
        if (f == nullptr) return;
        next = static_cast<std::uint64_t>(f->pos()) + f->size();
      }
      b = next;
    }
  }

  model::World* world_ = nullptr;
  std::map<sim::FiberId, Unbuffered> unbuffered_;
  std::map<std::uint64_t, std::uint64_t> max_wsize_;  // by request: the largest wsize since it was made
};

}  // namespace

std::unique_ptr<Checker> make_server_protocol_checker() { return std::make_unique<ServerProtocol>(); }

}  // namespace wbsim::checkers
