// server-protocol: the requests the server and cache models receive are
// ones the real server would accept.
//
// - A write RPC carrying send credits (a cifs-like client, which takes a
//   credit in ->prepare_write) is at most the write size the server
//   negotiated, and the credits of the RPCs in flight never exceed those
//   granted. A client that negotiates no credits (afs- or 9p-like, no
//   ->prepare_write) is not held to the wsize: its retries are reissued
//   with no size limit, as netfs has them.
// - A write RPC is not empty.
#include "checkers/checker.h"

namespace wbsim::checkers {

WBSIM_CHECKER(kServerProtocol, "server-protocol",
              "a write RPC fits the negotiated wsize and the credits granted, as the server would require");

namespace {

class ServerProtocol final : public Checker {
 public:
  void server_write_rpc(std::uint32_t file_id, model::loff_t pos, std::uint64_t len, std::uint32_t credits,
                        std::uint64_t wsize, std::uint64_t in_flight, std::uint64_t granted) override {
    WBSIM_CHECK(kServerProtocol, len > 0, "file {}: an empty write RPC at {}", file_id, pos);
    if (credits == 0) return;
    WBSIM_CHECK(kServerProtocol, len <= wsize,
                "file {}: a write RPC of {} bytes at {} with {} credit(s), but the negotiated wsize is {}", file_id,
                len, pos, credits, wsize);
    WBSIM_CHECK(kServerProtocol, in_flight <= granted,
                "file {}: a write RPC at {} brings the credits in flight to {}, but the server granted {}", file_id,
                pos, in_flight, granted);
  }
};

}  // namespace

std::unique_ptr<Checker> make_server_protocol_checker() { return std::make_unique<ServerProtocol>(); }

}  // namespace wbsim::checkers
