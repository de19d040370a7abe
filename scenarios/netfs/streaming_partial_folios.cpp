// Why: partial writes into folios that are not uptodate must become streaming
//      writes that record only the dirty bytes (struct netfs_folio); only
//      those bytes may be uploaded, never to the cache (it needs whole,
//      aligned blocks), zero_point must rise when they are written back, and
//      a second, discontiguous write into the same folio must flush the first.
// How: a 64 KiB file already on the server (so below zero_point nothing is
//      known locally); unaligned small writes at random places, some
//      extending a previous one, some not; reads in between; fsync.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_streaming_partial_folios, "netfs/streaming_partial_folios", .pct_steps_hint = 3000,
               .why = "streaming writes record only dirty bytes and flush when discontiguous",
               .params = {{"writes", 10, 1, 100, "writes (some followed by a read) before the fsync"}}) {
  model::World w;
  model::NetfsInode& inode = w.create_file({.cache = sim::draw(2) == 0});
  const auto original = pattern(90, 64 * 1024);
  w.preload(inode, original);
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    model::loff_t last_end = 100;
    for (std::uint32_t i = 0; s.more("writes", i); ++i) {
      // Half the writes continue the previous one (streaming_write_cont).
      const model::loff_t pos = sim::draw(2) == 0 ? last_end : static_cast<model::loff_t>(sim::draw(60 * 1024));
      const std::uint64_t len = 1 + sim::draw(3000);
      const auto bytes = pattern(10 + i, len);
      model::netfs_file_write(f, pos, bytes, {.max_folio_order = 1, .random_orders = true});
      last_end = pos + static_cast<model::loff_t>(len);
      if (sim::draw(4) == 0) {
        const model::loff_t at = static_cast<model::loff_t>(sim::draw(60 * 1024));
        const auto got = model::netfs_file_read(f, at, 4096);
        // After a write error the page cache may hold the server's old data
        // (the failed folio was cleaned), as in the kernel.
      }
    }
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
