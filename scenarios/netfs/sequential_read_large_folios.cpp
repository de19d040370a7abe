// Why: afs's mappings take large folios, and readahead allocates them once
//      a sequential read reaches its marker: order 0 for the first window,
//      then two orders more at each asynchronous one, up to the window's
//      size. Writes into those large clean folios, their copy-to-cache
//      writeback, a truncate that cuts one (the model cannot split it: it is
//      dropped whole when clean, kept when dirty) and a direct write that
//      invalidates part of one are page-cache states that the order-0 reads
//      of small files never make.
// How: a file several readahead windows long on the server (cached half the
//      time); one reader streams through it in chunks, another reads at
//      random (a marker it meets has no valid window behind it); a writer
//      rewrites random ranges, now and then truncates and writes
//      unbuffered, and fsyncs at the end. Data integrity judges every read.
//      Server short writes stay off: an unbuffered write retried after one
//      meets the pinned finding of netfs/dio_short_write_retry.
#include "model/netfs/netfs.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_sequential_read_large_folios, "netfs/sequential_read_large_folios", .pct_steps_hint = 4000,
               .fault_sites_off = "server.short_write",
               .why = "sequential reads bring in large folios that writes, truncate and direct writes then cut",
               .params = {{"kib", 256, 64, 1024, "size of the file on the server, KiB"},
                          {"ops", 8, 1, 32, "writes of the writer"}}) {
  model::World w({.background_thresh_pages = 8, .dirty_thresh_pages = 64});
  model::NetfsInode& inode = w.create_file({.cache = sim::draw(2) == 0});
  const auto size = static_cast<std::uint64_t>(s.param("kib")) * 1024;
  w.preload(inode, pattern(40, size));
  s.spawn("streamer", [&] {
    model::NetfsFile f = w.open(inode);
    for (model::loff_t at = 0; at < inode.i_size;) {
      const std::uint64_t chunk = 1024 * (1 + sim::draw(32));
      model::netfs_file_read(f, at, chunk);
      at += static_cast<model::loff_t>(chunk);
      if (sim::draw(4) == 0) sim::sleep(sim::kMs);
    }
  });
  s.spawn("prober", [&] {
    model::NetfsFile f = w.open(inode);
    for (int i = 0; i < 4; ++i) {
      sim::sleep(sim::draw(4) * sim::kMs);
      const model::loff_t at = static_cast<model::loff_t>(sim::draw(size));
      model::netfs_file_read(f, at, 1 + sim::draw(16 * 1024));
    }
  });
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::int64_t i = 0; s.more("ops", i); ++i) {
      sim::sleep(sim::draw(3) * sim::kMs);
      const auto pos = static_cast<model::loff_t>(sim::draw(size - 1));
      const auto tag = 41 + static_cast<std::uint32_t>(i);
      switch (sim::draw(6)) {
        case 0:
          model::netfs_truncate(f, static_cast<model::loff_t>(size / 2 + sim::draw(size / 2)));
          break;
        case 1:
          model::netfs_unbuffered_write_iter(f, pos, pattern(tag, 1 + sim::draw(8192)));
          break;
        default:
          write_all(f, pos, pattern(tag, 1 + sim::draw(16 * 1024)), {.max_folio_order = 2, .random_orders = true});
      }
    }
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
