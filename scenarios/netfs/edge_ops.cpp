// Why: the engine's corner cases sit on edges: a truncate or a write that
//      starts or ends exactly where an earlier write began or ended (a
//      streaming record's dirty range), on a page boundary, at EOF or one
//      byte off it. Offsets drawn uniformly over a file almost never land
//      there (netfs/truncate_vs_writeback met F15 only once its truncates
//      were drawn from such edges).
// How: two application fibers on one file whose data is on the server and
//      not cached (so partial writes stream), each running a random mix of
//      buffered writes, mapped stores and loads, reads, truncates, fsyncs
//      and page-cache drops. (Not hole punches yet: the model's range
//      operations flush and then drop the range under i_rwsem only, without
//      the invalidate lock a fault takes, so a fault's read can dirty a
//      copy-to-cache folio in between, which the kernel's
//      truncate_pagecache_range would discard.) Every offset and end is drawn
//      from the edges the earlier operations made (one byte either side
//      too), page boundaries, EOF, or anywhere; background writeback (a low
//      threshold) and swarm faults run under them. Data integrity judges.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_edge_ops, "netfs/edge_ops", .pct_steps_hint = 4000,
               .why = "operations that start and end on the edges earlier ones made",
               .params = {{"ops", 10, 1, 64, "operations of each application fiber"}}) {
  model::World w({.background_thresh_pages = 2, .dirty_thresh_pages = 64});
  model::NetfsInode& inode = w.create_file({.cache = sim::draw(3) == 0});
  w.preload(inode, pattern(180, 4 * 4096 + sim::draw(4096)));
  std::vector<model::loff_t> edges{0, inode.i_size};
  auto near = [](model::loff_t e) { return std::max<model::loff_t>(0, e - 1 + sim::draw(3)); };
  auto edge = [&]() -> model::loff_t {
    switch (sim::draw(4)) {
      case 0: return static_cast<model::loff_t>(sim::draw(12 * 4096));
      case 1: return near(edges[sim::draw(static_cast<std::uint32_t>(edges.size()))]);
      case 2: return static_cast<model::loff_t>(sim::draw(12)) * 4096;
      default: return near(inode.i_size);
    }
  };
  for (std::uint32_t k = 0; k < 2; ++k) {
    s.spawn(fmt::format("app{}", k), [&, k] {
      model::NetfsFile f = w.open(inode);
      for (std::int64_t i = 0; s.more("ops", i); ++i) {
        const model::loff_t at = edge();
        model::loff_t end = edge();
        if (end <= at) end = at + 1 + static_cast<model::loff_t>(sim::draw(4096));
        const auto len = static_cast<std::uint64_t>(std::min<model::loff_t>(end - at, 16 * 1024));
        const auto tag = static_cast<std::uint32_t>(200 + k * 100 + i);
        switch (sim::draw(8)) {
          case 0:
          case 1:
            write_all(f, at, pattern(tag, len), {.max_folio_order = 2, .random_orders = true});
            edges.push_back(at);
            edges.push_back(at + static_cast<model::loff_t>(len));
            break;
          case 2:
            model::netfs_truncate(f, at);
            edges.push_back(at);
            break;
          case 3: model::netfs_file_read(f, at, len); break;
          case 4:
            if (at + static_cast<model::loff_t>(len) <= inode.i_size) {  // a mapping stores inside EOF
              model::netfs_mmap_write(f, at, pattern(tag, len));
              edges.push_back(at + static_cast<model::loff_t>(len));
            } else {
              model::netfs_mmap_read(f, at, len);
            }
            break;
          case 5: model::netfs_fsync(f); break;
          case 6: model::netfs_drop_page_cache(f); break;
          default: model::netfs_mmap_read(f, at, len); break;
        }
      }
    });
  }
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
