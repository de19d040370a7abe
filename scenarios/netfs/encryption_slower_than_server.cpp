// Why: with the asynchronous content-crypto stage, prepared subrequests must
//      stall until their bytes are encrypted and then go out in ascending
//      order per stream; nothing may reach the server or the cache in
//      plaintext, and a folio's writeback may not end before its ciphertext
//      was written by every active stream. Retries must resend ciphertext.
// How: a cached, encrypted file; the crypto costs far more per page than a
//      server write, so subrequests queue behind it; swarm faults add short
//      writes and retries; write lengths end on a page or 1, 2048 or 4095
//      bytes past one. The server's bytes, decrypted, must equal what was
//      written.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_encryption_slower_than_server, "netfs/encryption_slower_than_server", .pct_steps_hint = 3000,
               .why = "subrequests stall until the slower crypto stage catches up") {
  model::World w({.server = {.wsize = 16 * 1024, .credits = 4, .latency_min = 50 * sim::kUs,
                             .latency_max = 300 * sim::kUs}});
  model::NetfsInode& inode = w.create_file(
      {.cache = sim::draw(2) == 0, .content_crypto = true, .crypto_ns_per_page = (1 + sim::draw(4)) * sim::kMs});
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::uint32_t i = 0; i < 4; ++i) {
      const model::loff_t pos = static_cast<model::loff_t>(sim::draw(12) * 4096);
      // A tail past the last whole page puts EOF inside a folio, one byte
      // in at the edge: the subrequest ending there must still wait for
      // that folio's ciphertext.
      constexpr std::uint64_t kTails[] = {0, 1, 2048, 4095};
      const auto bytes = pattern(100 + i, 4096 * (1 + sim::draw(6)) + kTails[sim::draw(4)]);
      model::netfs_file_write(f, pos, bytes, {.max_folio_order = 2, .random_orders = true});
    }
    model::netfs_fsync(f);
    // Reads decrypt what the server returns (data-integrity compares).
    model::netfs_file_read(f, 0, static_cast<std::uint64_t>(inode.i_size));
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
