// Why: a partial write into a folio that is not uptodate leaves a streaming
//      record (netfs_folio: the dirty offset and length); a later write over
//      the whole folio must drop that record, or writeback uploads only the
//      old dirty range and the rest of the new data never reaches the
//      server. Before "netfs: Fix streaming write being overwritten" the
//      whole-folio case kept the record (found with generic/522 on cifs).
// How: a file already on the server, opened write-only (as a logging or
//      copying program opens it), gets partial writes into some folios and
//      then whole-folio writes over some of them, with background writeback
//      racing; fsync. The data-integrity checker compares the server with
//      what the application wrote.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_streaming_whole_folio_overwrite, "netfs/streaming_whole_folio_overwrite",
               .pct_steps_hint = 2000, .why = "a whole-folio write over a streaming folio replaces its record",
               .params = {{"writes", 6, 1, 64, "partial or whole-folio writes before the fsync"},
                          {"folios", 8, 1, 64, "folios in the file"}}) {
  model::World w({.background_thresh_pages = 4 + sim::draw(8)});
  model::NetfsInode& inode = w.create_file();
  const auto folios = static_cast<std::uint32_t>(s.param("folios"));
  w.preload(inode, pattern(7, folios * 4096));
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode, model::FMODE_WRITE);
    const model::WriteOptions opts{.max_folio_order = 0};
    for (std::uint32_t i = 0; s.more("writes", i); ++i) {
      const std::uint64_t folio = sim::draw(folios);
      if (sim::draw(2) == 0) {
        const std::uint64_t off = 1 + sim::draw(4000);
        const std::uint64_t len = 1 + sim::draw(static_cast<std::uint32_t>(4096 - off));
        write_all(f, static_cast<model::loff_t>(folio * 4096 + off), pattern(20 + i, len), opts);
      } else {
        write_all(f, static_cast<model::loff_t>(folio * 4096), pattern(40 + i, 4096), opts);
      }
    }
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
