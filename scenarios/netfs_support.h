//! Helpers shared by the netfs scenarios: a deterministic data pattern, a
//! shadow of what the application wrote (last writer wins per byte; truncate
//! and extension with zeros), and the integrity check against the server.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "model/world.h"
#include "scenarios/registry.h"
#include "sim/assert.h"

namespace wbsim::scenarios {

// Bytes of write number `tag`: never zero, so a hole on the server (zeros)
// can never pass for written data.
inline std::vector<std::uint8_t> pattern(std::uint32_t tag, std::uint64_t len) {
  std::vector<std::uint8_t> v(len);
  for (std::uint64_t i = 0; i < len; ++i) v[i] = static_cast<std::uint8_t>(1 + (tag * 131 + i * 7) % 255);
  return v;
}

struct Shadow {
  std::vector<std::uint8_t> data;
  void write(model::loff_t pos, const std::vector<std::uint8_t>& bytes) {
    const auto end = static_cast<std::size_t>(pos) + bytes.size();
    if (data.size() < end) data.resize(end, 0);
    std::copy(bytes.begin(), bytes.end(), data.begin() + pos);
  }
  void truncate(model::loff_t size) { data.resize(static_cast<std::size_t>(size), 0); }
};

// The server's stable copy equals the shadow, byte for byte, size included.
inline void expect_server_matches(model::World& w, const model::NetfsInode& inode, const Shadow& shadow) {
  const auto& rfs = *static_cast<const model::RfsInode*>(inode.fs_private);
  std::vector<std::uint8_t> server = w.server().file(rfs.file_id).data;
  if (inode.content_crypto) {
    for (std::size_t i = 0; i < server.size(); ++i)
      server[i] = model::netfs_decrypt_byte(server[i], static_cast<model::loff_t>(i));
  }
  SIM_CHECK("data-integrity", server.size() == shadow.data.size(),
            "server file size {} but the application wrote {} bytes", server.size(), shadow.data.size());
  const auto diff = std::mismatch(server.begin(), server.end(), shadow.data.begin());
  SIM_CHECK("data-integrity", diff.first == server.end(), "server byte at {} is {:#x}, the application wrote {:#x}",
            diff.first - server.begin(), *diff.first, *diff.second);
}

// A read returned what the application wrote there.
inline void expect_read_matches(const std::vector<std::uint8_t>& got, model::loff_t at, const Shadow& shadow) {
  for (std::size_t k = 0; k < got.size(); ++k) {
    const std::uint8_t want = at + k < shadow.data.size() ? shadow.data[at + k] : 0;
    SIM_CHECK("data-integrity", got[k] == want, "read at {} returned {:#x} at byte {}, the application wrote {:#x}",
              at, got[k], at + static_cast<model::loff_t>(k), want);
  }
}

// Every folio of the file is clean and out of writeback.
inline void expect_quiescent(const model::NetfsInode& inode) {
  for (const auto& [index, f] : inode.mapping.folios) {
    SIM_CHECK("liveness", !model::folio_test_dirty(*f), "folio {} still dirty at quiescence", index);
    SIM_CHECK("liveness", !model::folio_test_writeback(*f), "folio {} still under writeback at quiescence", index);
    SIM_CHECK("liveness", !model::folio_test_locked(*f), "folio {} still locked at quiescence", index);
  }
  for (const auto& r : inode.requests) {
    SIM_CHECK("liveness", !r->test(model::NETFS_RREQ_IN_PROGRESS), "R={:08x} still in progress at quiescence",
              r->debug_id);
    // N12: every reference taken on a request or subrequest is dropped.
    for (const auto& sr : r->all_subreqs) {
      SIM_CHECK("refcount", sr->ref == 0, "R={:08x}[{:x}] holds {} references at quiescence", r->debug_id,
                sr->debug_index, sr->ref);
    }
    SIM_CHECK("refcount", r->ref == 0, "R={:08x} holds {} references at quiescence", r->debug_id, r->ref);
  }
}

// The liveness phase every netfs scenario ends with: faults healed, one
// more fsync, the flusher stopped; then the file must be quiescent and, if
// no error ever reached the application, the server must hold exactly what
// it wrote.
inline void heal_and_check(Context& s, model::World& w, model::NetfsInode& inode, const Shadow& shadow,
                           bool& error_reported) {
  w.heal();
  s.spawn("final-fsync", [&] {
    // A file description open since the file was created: it is told of
    // every write error of the run (once), as an application holding the
    // file open throughout would be.
    model::NetfsFile f{&inode, 0};
    if (model::netfs_fsync(f) != 0) error_reported = true;
    w.shutdown();
  });
  s.run();
  expect_quiescent(inode);
  if (!error_reported) expect_server_matches(w, inode, shadow);
}

}  // namespace wbsim::scenarios
