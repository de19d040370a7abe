// Why: with a local cache, a folio read from the server is marked for
//      copying to the cache (folio->private = NETFS_FOLIO_COPY_TO_CACHE,
//      with the folio reference private data holds). A write with a write
//      group (a Ceph snap context) into that folio must swap the mark for
//      the group, keeping the one reference. Before "netfs: Fix
//      folio->private handling in netfs_perform_write()" netfs_set_group()
//      attached the group over the mark with folio_attach_private(), taking
//      a second reference that nothing drops: the folio can never be freed,
//      migrated or reclaimed. A mapped store of the group does the same
//      swap in netfs_page_mkwrite() (folio_change_private()).
// How: a file on the server with a cache and group-aware writeback; reads
//      bring folios in (marked for the cache), writes and mapped stores of
//      one group land in some of them, a flusher runs; the refcount checker
//      counts each folio's references at quiescence.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_group_write_over_cached_read, "netfs/group_write_over_cached_read", .pct_steps_hint = 2000,
               .why = "a grouped write into a folio marked copy-to-cache swaps the mark for the group",
               .params = {{"ops", 6, 1, 64, "reads, grouped writes or grouped mapped stores before the fsync"},
                          {"folios", 8, 1, 64, "folios in the file"}}) {
  model::World w({.background_thresh_pages = 4 + sim::draw(8)});
  model::NetfsInode& inode = w.create_file({.cache = true, .writeback_groups = true});
  const auto folios = static_cast<std::uint32_t>(s.param("folios"));
  w.preload(inode, pattern(8, folios * 4096));
  model::NetfsGroup group{.ref = 1, .id = 1};
  s.spawn("app", [&] {
    model::NetfsFile f = w.open(inode);
    const model::WriteOptions opts{.group = &group, .max_folio_order = 0};
    for (std::int64_t i = 0; s.more("ops", i); ++i) {
      const std::uint64_t folio = sim::draw(folios);
      if (sim::draw(2) == 0) {
        model::netfs_file_read(f, static_cast<model::loff_t>(folio * 4096), 4096);
      } else {
        const auto at = static_cast<model::loff_t>(folio * 4096 + sim::draw(4000));
        const auto data = pattern(30 + static_cast<std::uint32_t>(i), 1 + sim::draw(96));
        if (sim::draw(4) == 0) {
          model::netfs_mmap_write(f, at, data, &group);
        } else {
          write_all(f, at, data, opts);
        }
      }
    }
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
