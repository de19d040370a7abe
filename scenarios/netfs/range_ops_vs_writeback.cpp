// Why: fallocate's modes and copy_file_range are carried out by the server;
//      the client must write back, wait for and drop every folio whose bytes
//      the server will change or move, or a write in flight lands on the
//      server with stale data or at a stale position (insert and collapse
//      move everything above the offset). Migration of the file's folios
//      (compaction, sync and async) runs meanwhile and must wait for or skip
//      folios under writeback.
// How: buffered and mmap writes, reads, and range operations on a file
//      with background writeback racing them and swarm faults; a compaction
//      fiber migrates folios. The shadow follows each range operation
//      through apply_range_op; data-integrity compares.
#include "model/mm/migrate.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_range_ops_vs_writeback, "netfs/range_ops_vs_writeback", .pct_steps_hint = 3000,
               .why = "server-side range operations race background writeback and migration",
               .params = {{"ops", 8, 1, 32, "range operations, each followed by a write and a read"}}) {
  model::World w({.server = {.wsize = 16 * 1024}, .background_thresh_pages = 2, .dirty_thresh_pages = 128});
  model::NetfsInode& inode = w.create_file({.cache = sim::draw(3) == 0});
  bool done = false;
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    write_all(f, 0, pattern(1, 64 * 1024), {.max_folio_order = 2, .random_orders = true});
    for (std::int64_t j = 0; s.more("ops", j); ++j) {
      const auto i = static_cast<std::uint32_t>(j);
      const auto size = static_cast<std::uint64_t>(inode.i_size);
      if (size < 3 * 4096) break;  // collapses took the file below what the operations need
      const std::uint64_t block = sim::draw(static_cast<std::uint32_t>(size / 4096 - 2));
      const model::loff_t at = static_cast<model::loff_t>(block * 4096);
      const std::uint64_t len = 4096 * (1 + sim::draw(2));
      switch (sim::draw(7)) {
        case 0: model::netfs_range_op(f, model::RangeOp::punch_hole, at + 100, len, 0, true); break;
        case 1: model::netfs_range_op(f, model::RangeOp::zero_range, at, len, 0, sim::draw(2) == 0); break;
        case 2: model::netfs_range_op(f, model::RangeOp::collapse_range, at, 4096, 0, false); break;
        case 3: model::netfs_range_op(f, model::RangeOp::insert_range, at, 4096, 0, false); break;
        case 4: {
          const model::loff_t dest = static_cast<model::loff_t>(size + sim::draw(8192));
          model::netfs_range_op(f, model::RangeOp::copy_range, at, len, dest, false);
          break;
        }
        case 5: model::netfs_range_op(f, model::RangeOp::allocate, static_cast<model::loff_t>(size), len, 0, false); break;
        default: model::netfs_mmap_write(f, at + 7, pattern(10 + i, 3000)); break;
      }
      model::netfs_file_write(f, at + 50, pattern(20 + i, 1 + sim::draw(6000)), {.max_folio_order = 1});
      model::netfs_file_read(f, 0, static_cast<std::uint64_t>(inode.i_size));
    }
    model::netfs_fsync(f);
    done = true;
  });
  s.spawn("compaction", [&] {
    while (!done) {
      sim::sleep(sim::draw(3) * sim::kMs);
      model::migrate_mapping(inode.mapping, sim::draw(2) == 0 ? model::MigrateMode::sync : model::MigrateMode::async);
    }
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
