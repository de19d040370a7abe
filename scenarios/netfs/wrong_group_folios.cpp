// Why: folios of a write group other than the request's must be redirtied
//      and skipped, never written under the wrong group (Ceph snap contexts:
//      "pages marked with a group must be flushed before they can be written
//      under the domain of another group"); a writer of one group over a
//      dirty folio of another must flush it first; group references must
//      balance.
// How: two groups write interleaved ranges of one file with background
//      writeback racing; fsync repeats (as a group-aware filesystem flushes
//      one group after another) until nothing is dirty. Some stores come
//      through a mapping, where page_mkwrite must flush another group first.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_wrong_group_folios, "netfs/wrong_group_folios", .pct_steps_hint = 3000,
               .why = "folios of another group are redirtied, never written under the wrong group",
               .params = {{"writes", 8, 1, 32, "writes and stores, each under one of two groups"}}) {
  model::World w({.background_thresh_pages = 4, .dirty_thresh_pages = 64});
  model::NetfsInode& inode = w.create_file({.writeback_groups = true});
  model::NetfsGroup groups[2] = {{.ref = 1, .id = 1}, {.ref = 1, .id = 2}};
  auto flush_all = [&](model::NetfsFile& f) {
    for (int pass = 0; pass < 16; ++pass) {
      model::netfs_fsync(f);
      bool dirty = false;
      for (const auto& [index, folio] : inode.mapping.folios) dirty = dirty || model::folio_test_dirty(*folio);
      if (!dirty) return;
    }
    SIM_ASSERT_MSG(false, "16 fsync passes left the file dirty");
  };
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::int64_t j = 0; s.more("writes", j); ++j) {
      const auto i = static_cast<std::uint32_t>(j);
      model::NetfsGroup* g = &groups[sim::draw(2)];
      const model::loff_t pos = static_cast<model::loff_t>(sim::draw(16) * 4096);
      const auto bytes = pattern(20 + i, 4096 * (1 + sim::draw(3)));
      if (sim::draw(3) == 0 && pos < inode.i_size) {
        // A store through a mapping under group g (page_mkwrite's group check).
        model::netfs_mmap_write(f, pos, bytes, g);
      } else {
        model::netfs_file_write(f, pos, bytes, {.group = g, .max_folio_order = 1});
      }
    }
    flush_all(f);
  });
  s.run();
  w.heal();
  s.spawn("final-flush", [&] {
    model::NetfsFile f = w.open(inode);
    flush_all(f);
    w.shutdown();
  });
  s.run();
  s.liveness_phase(w);
  // Only the scenario's own references remain once no folio holds a group.
  for (const auto& [index, folio] : inode.mapping.folios) SIM_ASSERT(model::netfs_folio_group(*folio) == nullptr);
  SIM_ASSERT_CMP(groups[0].ref, ==, 1);
  SIM_ASSERT_CMP(groups[1].ref, ==, 1);
}

}  // namespace wbsim::scenarios
