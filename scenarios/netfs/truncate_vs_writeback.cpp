// Why: truncate must wait for writeback on every folio it removes or cuts,
//      never remove a folio under writeback, and writeback that samples
//      i_size after a truncate must not upload beyond the new EOF (a folio
//      wholly beyond it is cleaned without I/O); the server's size must end
//      as the application left it.
// How: concurrent writers extend the file while the flusher writes back
//      (low background threshold) and a truncater shrinks and regrows it,
//      to a size drawn anywhere, or at an edge the writes made (the start
//      or the end of a write, where a streaming record's dirty range
//      begins or ends), or at a page boundary: edges a uniform draw over
//      40 KiB almost never meets. Half the time it first drops the page
//      cache (fsync, then invalidate): a later write into the file's
//      middle then finds no folio and, without a cache, is a streaming
//      write, so truncation also meets streaming records.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_truncate_vs_writeback, "netfs/truncate_vs_writeback", .pct_steps_hint = 4000,
               .why = "truncate waits for writeback; writeback respects the new EOF",
               .params = {{"writes", 4, 1, 32, "writes of each writer"}, {"truncates", 3, 1, 32, "truncates"}}) {
  model::World w({.background_thresh_pages = 2, .dirty_thresh_pages = 64});
  model::NetfsInode& inode = w.create_file({.cache = sim::draw(2) == 0});
  // Writers and the truncater take i_rwsem, so the shadow follows their order.
  std::vector<model::loff_t> edges;  // the starts and ends of the writes so far
  for (std::uint32_t wr = 0; wr < 2; ++wr) {
    s.spawn("writer", [&, wr] {
      model::NetfsFile f = w.open(inode);
      for (std::int64_t j = 0; s.more("writes", j); ++j) {
        const auto i = static_cast<std::uint32_t>(j);
        const model::loff_t pos = static_cast<model::loff_t>(sim::draw(12) * 4096 + sim::draw(2) * 100);
        const auto bytes = pattern(60 + wr * 10 + i, 1 + sim::draw(8192));
        edges.push_back(pos);
        edges.push_back(pos + static_cast<model::loff_t>(bytes.size()));
        model::netfs_file_write(f, pos, bytes, {.max_folio_order = 2, .random_orders = true});
        sim::sleep(sim::draw(3) * sim::kMs);
      }
    });
  }
  s.spawn("truncater", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::int64_t i = 0; s.more("truncates", i); ++i) {
      sim::sleep(sim::draw(4) * sim::kMs);
      if (sim::draw(2) == 0) model::netfs_drop_page_cache(f);
      model::loff_t size = 0;
      switch (sim::draw(3)) {
        case 0: size = static_cast<model::loff_t>(sim::draw(40 * 1024)); break;
        case 1: size = edges.empty() ? 0 : edges[sim::draw(static_cast<std::uint32_t>(edges.size()))]; break;
        default: size = static_cast<model::loff_t>(sim::draw(11)) * 4096; break;
      }
      model::netfs_truncate(f, size);
    }
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
