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
// - background writeback happens: wb_do_writeback ends every pass of the
//   flusher with wb_check_background_flush, so while the dirty count stays
//   over the background threshold a background walk starts at the latest
//   at the periodic wake-up, dirty_writeback_interval after the flusher went
//   to sleep. Counted in the flusher's idle time only (a pass blocked in a
//   sync walk or in ->write_inode is not idle): the time it slept while the
//   dirty count stayed over the threshold, since the last background
//   ->writepages call, is at most one interval (and a second of slack).
//
// Not covered: the writeback the caller asks of each walk (nr_to_write).
#include "checkers/checker.h"
#include "model/mm/filemap.h"
#include "model/mm/flusher.h"
#include "model/mm/page_writeback.h"
#include "sim/scheduler.h"

namespace wbsim::checkers {

WBSIM_CHECKER(kWritebackControl, "writeback-control",
              "a ->writepages call's writeback_control is one a kind of writeback work builds (fs-writeback.c)");

namespace {

// Idle time of the flusher over the background threshold without a
// background walk, past which the periodic pass must have run one.
constexpr sim::Time kBackgroundBound = model::Flusher::kDirtyWritebackInterval + sim::kSec;

class WritebackControlChecker final : public Checker {
 public:
  // The flusher's idle stretch belongs to its World's Mm: a later World
  // starts afresh.
  void world_destroyed(model::World&) override {
    mm_ = nullptr;
    idle_ = false;
    over_while_idle_ = false;
    idle_over_ = 0;
  }
  void flusher_idle(const model::Mm& mm, bool idle) override {
    mm_ = &mm;
    if (idle) {
      idle_since_ = sim::now();
      over_while_idle_ = over();
      idle_ = true;
      return;
    }
    if (!idle_) return;
    idle_ = false;
    if (!over_while_idle_ || !over()) {
      idle_over_ = 0;
      return;
    }
    idle_over_ += sim::now() - idle_since_;
    WBSIM_CHECK(kWritebackControl, idle_over_ <= kBackgroundBound,
                "the flusher slept {} ms with the dirty count over the background threshold ({} > {} pages) and "
                "no background walk began: wb_do_writeback runs wb_check_background_flush on every pass, at the "
                "latest at the periodic wake-up after {} ms",
                idle_over_ / sim::kMs, mm.nr_dirty, mm.background_thresh,
                model::Flusher::kDirtyWritebackInterval / sim::kMs);
  }
  // Where the dirty count may have fallen: a dip under the threshold ends
  // the stretch.
  void folio_start_writeback(const model::Folio&) override { sample(); }
  void folio_removed(const model::Folio&) override { sample(); }
  void folio_unlocked(const model::Folio&) override { sample(); }
  void writeback_iter_start(const model::AddressSpace&, const model::WritebackControl& wbc) override {
    if (wbc.for_background) idle_over_ = 0;
    sample();
  }

  void writepages_returned(const model::AddressSpace& m, const model::WritebackControl& wbc, int ret) override {
    // A background ->writepages call that wrote nothing (netfs skips a
    // WB_SYNC_NONE walk while another holds wb_lock) still was the walk.
    if (wbc.for_background) idle_over_ = 0;
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

 private:
  bool over() const { return mm_->nr_dirty > mm_->background_thresh; }
  void sample() {
    if (mm_ == nullptr || over()) return;
    idle_over_ = 0;
    over_while_idle_ = false;
  }

  const model::Mm* mm_ = nullptr;
  bool idle_ = false;
  bool over_while_idle_ = false;
  sim::Time idle_since_ = 0;
  sim::Time idle_over_ = 0;
};

}  // namespace

std::unique_ptr<Checker> make_writeback_control_checker() { return std::make_unique<WritebackControlChecker>(); }

}  // namespace wbsim::checkers
