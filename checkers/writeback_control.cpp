// writeback-control: the writeback_control a ->writepages call gets is one
// mm and fs/fs-writeback.c build. Each kind of writeback work carries its
// own flags (wb_check_background_flush, wb_check_old_data_flush, sync_inodes_sb,
// the reclaim and fsync paths), and the callee acts on them: background
// writeback stops once the dirty count is under the background threshold
// (wb_writeback: `work->for_background && !wb_over_bg_thresh(wb)`), so a
// data-integrity (WB_SYNC_ALL) walk flagged for_background would stop early
// and a sync would return with data still dirty.
//
// - for_background: WB_SYNC_NONE, range_cyclic, neither for_kupdate nor
//   for_reclaim.
// - for_kupdate: WB_SYNC_NONE, range_cyclic.
//
// Not covered: whether a background pass was started over the threshold
// (the flusher's loop tests that itself, before each pass), nor the
// writeback the caller asks of each walk (nr_to_write).
#include "checkers/checker.h"
#include "model/mm/filemap.h"
#include "model/mm/page_writeback.h"

namespace wbsim::checkers {

WBSIM_CHECKER(kWritebackControl, "writeback-control",
              "a ->writepages call's writeback_control is one a kind of writeback work builds (fs-writeback.c)");

namespace {

class WritebackControlChecker final : public Checker {
 public:
  void writepages_returned(const model::AddressSpace& m, const model::WritebackControl& wbc, int ret) override {
    const bool sync_none = wbc.sync_mode == model::SyncMode::none;
    if (wbc.for_background) {
      WBSIM_CHECK(kWritebackControl, sync_none && wbc.range_cyclic && !wbc.for_kupdate && !wbc.for_reclaim,
                  "a background writeback walk with {}{}{}{}: background work is WB_SYNC_NONE, range_cyclic, and "
                  "neither kupdate nor reclaim (it stops under the background threshold)",
                  sync_none ? "WB_SYNC_NONE" : "WB_SYNC_ALL", wbc.range_cyclic ? "" : ", not range_cyclic",
                  wbc.for_kupdate ? ", for_kupdate" : "", wbc.for_reclaim ? ", for_reclaim" : "");
      return;
    }
    if (wbc.for_kupdate) {
      WBSIM_CHECK(kWritebackControl, sync_none && wbc.range_cyclic,
                  "a kupdate writeback walk with {}{}: kupdate work is WB_SYNC_NONE and range_cyclic",
                  sync_none ? "WB_SYNC_NONE" : "WB_SYNC_ALL", wbc.range_cyclic ? "" : ", not range_cyclic");
      return;
    }
    evaluated(kWritebackControl);
  }
};

}  // namespace

std::unique_ptr<Checker> make_writeback_control_checker() { return std::make_unique<WritebackControlChecker>(); }

}  // namespace wbsim::checkers
