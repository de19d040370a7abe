// Why: a short write must be reissued from start + transferred (the iterator
//      reset of "netfs: Fix the iov_iter reset in write retry"), repeatedly if
//      the retry is short too, and no byte may be sent twice to the wrong
//      place or skipped.
// How: one large buffered write with no cache; the server's next replies
//      are scripted short (a few bytes, then a page), and swarm faults may
//      shorten more. Background writeback and fsync race.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_short_write_retry, "netfs/short_write_retry", .pct_steps_hint = 2000,
               .why = "short writes are retried from start + transferred",
               .params = {{"kib", 64, 1, 1024, "KiB written (plus 0, 1000 or 2000 bytes)"}}) {
  model::World w;
  // No ->prepare_write (afs-like): retries take the non-renegotiating path.
  model::NetfsInode& inode = w.create_file({.prepare_write = false});
  w.server().short_write_next(1 + sim::draw(100));
  w.server().short_write_next(4096);
  w.server().short_write_next(1 + sim::draw(8192));
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    const auto bytes = pattern(1, static_cast<std::uint64_t>(s.param("kib")) * 1024 + sim::draw(3) * 1000);
    model::netfs_file_write(f, 0, bytes, {.max_folio_order = 3});
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
