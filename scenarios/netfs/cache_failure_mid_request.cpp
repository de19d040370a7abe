// Why: when the cache fails or is withdrawn in the middle of a request, the
//      cache stream fails and its later subrequests are cancelled, the cache
//      is invalidated, and the upload stream must still complete and end
//      writeback on every folio: "cache write failure doesn't prevent
//      writeback completion".
// How: large buffered writes to a cached file; while writeback is in flight
//      the cache is withdrawn (scripted, at a random moment) and swarm
//      faults may fail cache writes with -ENOBUFS.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_cache_failure_mid_request, "netfs/cache_failure_mid_request", .pct_steps_hint = 3000,
               .why = "a cache failure mid-request invalidates the cache; the upload completes") {
  model::World w;
  model::NetfsInode& inode = w.create_file({.cache = true});
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    const auto bytes = pattern(80, 96 * 1024);
    model::netfs_file_write(f, 0, bytes, {.max_folio_order = 2});
    model::netfs_fsync(f);
  });
  s.spawn("cache-killer", [&] {
    sim::sleep(sim::draw(3000) * sim::kUs);
    w.cache().withdraw();
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
