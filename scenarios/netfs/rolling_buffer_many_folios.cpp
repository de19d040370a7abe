// Why: a writeback request holds its folios in a rolling buffer of
//      folio_queue segments (31 folios each). The issuer appends segments
//      at the head while the collector, as subrequests complete, ends
//      writeback on the folios at the tail and frees each spent segment,
//      keeping the last as a placeholder; subrequests must still find their
//      bytes when they are sent (or resent by a retry) and nothing may be
//      read from a freed segment.
// How: a few hundred order-0 folios dirtied and written back in one fsync,
//      with scarce credits, varied latency and swarm faults (short writes,
//      reconnects, wsize changes), and a cache stream on half the seeds.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_rolling_buffer_many_folios, "netfs/rolling_buffer_many_folios", .pct_steps_hint = 3000,
               .why = "the collector frees spent folio_queue segments while the issuer appends") {
  model::World w({.server = {.wsize = 16 * 1024u << sim::draw(3), .credits = 1 + sim::draw(4),
                             .latency_min = 10 * sim::kUs, .latency_max = 3 * sim::kMs},
                  .background_thresh_pages = 1024, .dirty_thresh_pages = 4096});
  model::NetfsInode& inode = w.create_file({.cache = sim::draw(2) == 0});
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    const std::uint64_t folios = 64 + sim::draw(128);
    write_all(f, 0, pattern(71, folios * 4096 - sim::draw(4096)), {.max_folio_order = 0});
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
