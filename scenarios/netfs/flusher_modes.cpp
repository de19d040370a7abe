// Why: the flusher must write back in all three of its modes — periodic
//      (data dirtied longer than dirty_expire ago), background (past the
//      background threshold, in nr_to_write chunks that resume where the last
//      one stopped, range_cyclic), and queued sync work — and writers past
//      the dirty threshold must be throttled until writeback catches up,
//      without losing or reordering data.
// How: a small write left alone for 40 s of virtual time (kupdate); then a
//      burst of appends far past both thresholds against a slow server with
//      small writeback chunks (background, throttling, chunk budget, cyclic
//      resume); then sync through the flusher, and fsync.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_flusher_modes, "netfs/flusher_modes", .pct_steps_hint = 5000,
               .why = "kupdate, background and sync writeback; writers throttled past the threshold") {
  model::World w({.server = {.wsize = 16 * 1024, .credits = 2, .latency_min = 500 * sim::kUs,
                             .latency_max = 3 * sim::kMs},
                  .background_thresh_pages = 6,
                  .dirty_thresh_pages = 16,
                  .writeback_chunk_pages = 4});
  model::NetfsInode& inode = w.create_file({.cache = sim::draw(2) == 0});
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    const auto first = pattern(120, 8192);
    model::netfs_file_write(f, 0, first, {});
    sim::sleep(40 * sim::kSec);  // nobody syncs: kupdate must write it
    for (std::uint32_t i = 0; i < 12; ++i) {
      const model::loff_t pos = inode.i_size;
      const auto bytes = pattern(121 + i, 4096 * (1 + sim::draw(4)));
      model::netfs_file_write(f, pos, bytes, {.max_folio_order = sim::draw(3)});
    }
    w.flusher()->sync_all_and_wait();
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
