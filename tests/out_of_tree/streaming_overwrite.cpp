// Why: a scenario written outside the wbsim tree. A partial write into a
//      folio that is not uptodate leaves a streaming record; a whole-folio
//      write over it must drop the record, or writeback uploads only the
//      old dirty range (the switch netfs-streaming-write-overwritten brings
//      that mistake back, and the data-integrity checker finds it).
// How: no faults and one writer, so every seed takes the same path: a file
//      on the server, opened write-only, a partial write into its second
//      folio, a whole-folio write over it, fsync.
#include "scenarios/netfs_support.h"

namespace my_scenarios {

using namespace wbsim;

WBSIM_SCENARIO(streaming_overwrite, "oot/streaming_overwrite", .faults = false,
               .why = "an out-of-tree scenario: a whole-folio write replaces a streaming record") {
  model::World w({.background_thresh_pages = 4});
  model::NetfsInode& inode = w.create_file();
  w.preload(inode, scenarios::pattern(7, 4 * 4096));
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode, model::FMODE_WRITE);
    const model::WriteOptions opts{.max_folio_order = 0};
    scenarios::write_all(f, 4096 + 100, scenarios::pattern(1, 200), opts);
    scenarios::write_all(f, 4096, scenarios::pattern(2, 4096), opts);
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace my_scenarios
