// Why: a finding in mainline's shape (docs/findings.md F19). netfs takes
//      its subrequests from a mempool with the kernel's reserve of 100;
//      under memory pressure a writeback of more than 100 subrequests
//      drains it, and the issuer waits in mempool_alloc() for an element
//      that only the collector gives back. With a local cache, a retry in
//      the upload stream makes the collector wait in netfs_retry_writes()
//      for every in-progress subrequest, the cache stream's unissued
//      construct included -- which only the issuer sends.
// How: a file written in 4 KiB RPCs (wsize 4096), with or without a local
//      cache, under a page budget that leaves nothing above the min
//      watermark once the file is dirty; an fsync writes back more than
//      100 folios (fewer than the 256 a cache write may gather) while the
//      server sometimes asks for a retry. Seeds without the cache, or
//      without a retry during the issue, complete.
#include "scenarios/fuse_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(mm_mempool_reserve_drained, "mm/mempool_reserve_drained",
               .expect = sim::Expect::fail_sometimes, .expect_checker = "liveness", .pct_steps_hint = 20000,
               .why = "writeback that drains the subrequest mempool while a retry waits for the cache's construct hangs (finding)",
               .params = {{"folios", 128, 8, 512, "folios written, one 4 KiB RPC each"}}) {
  const auto folios = static_cast<std::uint32_t>(s.param("folios"));
  model::World w({.server = {.wsize = 4096},
                  .background_thresh_pages = 4 * folios,
                  .dirty_thresh_pages = 8 * folios,
                  .free_pages = static_cast<std::int64_t>(folios) + 6,
                  .min_pages = 8,
                  .low_pages = 16,
                  .kswapd = true});
  model::NetfsInode& inode = w.create_file({.cache = sim::draw(2) == 0});
  spawn_bounded(s, "writer", 600 * sim::kSec, "an fsync that drains the mempool reserve", [&] {
    model::NetfsFile f = w.open(inode);
    write_all(f, 0, pattern(90, folios * 4096), {.max_folio_order = 0});
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
