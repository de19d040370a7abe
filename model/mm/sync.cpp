// sync(2) for the model's one superblock (fs/sync.c ksys_sync ->
// sync_inodes_sb in fs/fs-writeback.c): WB_SYNC_ALL writeback of every
// inode by the flusher, waited for (wb_wait_for_completion), then
// wait_sb_inodes() waits for writeback on every inode's pages, except, since
// f9a49aa302a0, mappings flagged AS_NO_DATA_INTEGRITY.
#include "model/events.h"
#include "model/mm/flusher.h"
#include "model/mm/page_writeback.h"
#include "model/mm/variants.h"
#include "model/world.h"
#include "sim/coverage.h"

namespace wbsim::model {

WBSIM_MARK_IN(kMarkSyncNoIntegritySb, "mm.sync_no_integrity_sb", "fuse/*",
           "sync only woke the flusher for a superblock without data integrity guarantees");
WBSIM_MARK_IN(kMarkSyncSkippedNoIntegrity, "mm.sync_skipped_no_data_integrity", "fuse/*",
           "wait_sb_inodes skipped a mapping without data integrity guarantees");

int sync_file_range(AddressSpace& mapping, loff_t offset, loff_t nbytes, unsigned flags, std::uint32_t* f_wb_err) {
  // nbytes == 0 means to the end of the file.
  const loff_t endbyte = nbytes == 0 ? INT64_MAX : offset + nbytes - 1;
  // file_fdatawait_range: wait, then the file's unseen error.
  auto wait = [&] {
    const int err = filemap_fdatawait_range(mapping, offset, endbyte);
    return f_wb_err != nullptr ? file_check_and_advance_wb_err(mapping, f_wb_err) : err;
  };
  int err = 0;
  if ((flags & SYNC_FILE_RANGE_WAIT_BEFORE) != 0) err = wait();
  if (err == 0 && (flags & SYNC_FILE_RANGE_WRITE) != 0) {
    const unsigned all = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
    err = filemap_fdatawrite_range(mapping, offset, endbyte, (flags & all) == all ? SyncMode::all : SyncMode::none);
  }
  if (err == 0 && (flags & SYNC_FILE_RANGE_WAIT_AFTER) != 0) err = wait();
  return err;
}

void World::sync() {
  if (flusher_ == nullptr) return;
  MODEL_EVENT(sync_begin());
  if (sb_no_data_integrity && !variant::sync_waits_for_flusher_without_data_integrity()) {
    // wakeup_flusher_threads_bdi(bdi, WB_REASON_SYNC) and return.
    sim::mark(kMarkSyncNoIntegritySb);
    flusher_->wakeup_background();
    MODEL_EVENT(sync_returned(false));
    return;
  }
  flusher_->sync_all_and_wait();  // the flusher's WB_SYNC_ALL work, wb_wait_for_completion
  // wait_sb_inodes()
  for (AddressSpace* m : flusher_->mappings()) {
    if (m->no_data_integrity && !variant::sync_waits_on_no_data_integrity_mapping()) {
      sim::mark(kMarkSyncSkippedNoIntegrity);
      continue;
    }
    filemap_fdatawait_range(*m, 0, INT64_MAX);
  }
  MODEL_EVENT(sync_returned(true));
}

}  // namespace wbsim::model
