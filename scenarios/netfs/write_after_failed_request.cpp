// Why: a suspected finding in mainline's shape. When a writeback request's
//      upload stream fails, the collector records the error on the mapping
//      (mapping_set_error) and from then on cancels the stream's later
//      subrequests -- including ones that were still issued and fail in
//      their turn: their failure is never recorded. errseq reports an error
//      only to files open when it was recorded (or before anyone saw it),
//      so a file opened after the first failure was seen, whose write went out in a later subrequest of the same
//      request and failed, gets 0 from fsync with its write lost.
//      (netfs_collect_write_results: `if (stream->failed) ... goto cancel`
//      comes before the front's NETFS_SREQ_FAILED test.)
// How: dirty eight folios; hold folio 6's lock as MIGRATE_SYNC migration
//      would, so writeback of the file (sync_file_range(WRITE) elsewhere)
//      stops part-way through its request; the first two write RPCs fail
//      with -EIO. Once the first error is on the mapping and the writer has
//      seen it (sync_file_range(WAIT_AFTER) reports it without waiting for
//      wb_lock, which fsync would), a newly opened file writes into folio 7, the lock is released, the request's second
//      subrequest carries that write and fails, and the new file fsyncs.
//      data-integrity is expected to report the loss on some seeds (the
//      sweep fails if it never does, so a fix shows up).
#include "model/mm/page_writeback.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_write_after_failed_request, "netfs/write_after_failed_request",
               .expect = sim::Expect::fail_sometimes, .expect_checker = "data-integrity", .faults = false,
               .why = "a write into a folio that an already-failed request later cancels (suspected finding)") {
  model::World w({.server = {.wsize = 16 * 1024}, .background_thresh_pages = 1024, .dirty_thresh_pages = 4096});
  model::NetfsInode& inode = w.create_file();
  bool error_seen = false;
  bool released = false;
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    model::netfs_file_write(f, 0, pattern(120, 8 * 4096), {.max_folio_order = 0});
    // The first two write RPCs fail.
    w.server().fail_next(model::kEIO);
    w.server().fail_next(model::kEIO);
    model::Folio& held = *model::filemap_get_folio(inode.mapping, 6);
    model::folio_get(held);
    model::folio_lock(held);  // as migrate_folio in MIGRATE_SYNC holds it
    s.spawn("syncer", [&] {
      // Writeback from elsewhere (sync_file_range(SYNC_FILE_RANGE_WRITE) on
      // another descriptor): WB_SYNC_NONE, one request for the whole file.
      model::sync_file_range(inode.mapping, 0, 0, model::SYNC_FILE_RANGE_WRITE);
    });
    while (inode.mapping.wb_err == 0) sim::sleep(100 * sim::kUs);
    // The application learns of the error without fsync (which would wait
    // for wb_lock behind the request): sync_file_range(WAIT_AFTER) over the
    // failed folios reports it to this file and marks it seen.
    const int err = model::netfs_sync_file_range(f, 0, 16384, model::SYNC_FILE_RANGE_WAIT_AFTER);
    SIM_CHECK("error-propagation", err != 0, "sync_file_range after the failed upload returned 0");
    error_seen = true;
    sim::sleep(sim::draw(3) * sim::kMs);
    model::folio_unlock(held);
    model::folio_put(held);
    released = true;
  });
  s.spawn("late-writer", [&] {
    while (!error_seen) sim::sleep(100 * sim::kUs);
    model::NetfsFile g = w.open(inode);  // samples errseq after the error
    model::netfs_file_write(g, 7 * 4096 + 10, pattern(121, 100), {});
    while (!released) sim::sleep(100 * sim::kUs);
    model::netfs_fsync(g);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
