// dirty-throttle: the page cache's dirtiers are throttled, and a throttled
// writer keeps background writeback going (mm/page-writeback.c).
//
// - A task that stores into the page cache, by write(2) or through a
//   shared mapping, calls balance_dirty_pages_ratelimited() after its last
//   store, before it returns ("Processes which are dirtying memory should
//   call in here once for each page which was newly dirtied"):
//   netfs_perform_write() calls it after every folio, buffered or
//   writethrough, and the fault path after every write fault
//   (fault_dirty_shared_page). A dirtier that skips it is never throttled,
//   and dirty memory grows past vm.dirty_ratio without bound.
// - A writer paused in balance_dirty_pages() with the dirty count over the
//   background threshold starts background writeback on every pause
//   (`nr_dirty > gdtc->bg_thresh && !writeback_in_progress(wb)` ->
//   wb_start_background_writeback()): while it waits, the flusher does not
//   sleep longer than a pause or two with the count over the threshold. A
//   writer that stops kicking waits for the periodic wake-up instead,
//   dirty_writeback_interval later.
//
// Not covered: the ratelimit itself (the model balances on every call), and
// dirtiers other than netfs's write(2) and mapped stores.
#include <map>

#include "checkers/checker.h"
#include "model/mm/filemap.h"
#include "model/mm/page_writeback.h"
#include "model/netfs/netfs.h"
#include "sim/scheduler.h"

namespace wbsim::checkers {

WBSIM_CHECKER(kDirtyThrottle, "dirty-throttle",
              "a task that dirties the page cache is throttled, and a throttled writer keeps background writeback "
              "going (mm/page-writeback.c)");

namespace {

// Idle time of the flusher, over the background threshold, while writers
// stay paused in balance_dirty_pages: one of them kicks it every pause, so
// it sleeps at most one pause (two allow for a writer woken last at its
// instant); without the kicks it sleeps until the periodic wake-up.
constexpr sim::Time kKickBound = 2 * model::kDirtyThrottlePause;

class DirtyThrottle final : public Checker {
 public:
  // --- every dirtier balances -------------------------------------------------
  void write_begin(const model::NetfsInode& inode, model::loff_t pos, std::uint64_t, bool unbuffered) override {
    if (!unbuffered) dirtier_[current_fiber()] = {inode.ino, pos, "write(2)", false};
  }
  void write_returned(const model::NetfsInode& inode, model::loff_t, std::span<const std::uint8_t>, std::int64_t,
                      bool unbuffered) override {
    if (!unbuffered) end_dirtier(inode);
  }
  void mapped_access(const model::NetfsInode& inode, model::loff_t pos, std::uint64_t, bool begin) override {
    if (begin) {
      dirtier_[current_fiber()] = {inode.ino, pos, "a store through a mapping", false};
    } else {
      end_dirtier(inode);
    }
  }
  void data_stored(const model::NetfsInode&, model::loff_t, std::span<const std::uint8_t>) override {
    if (auto it = dirtier_.find(current_fiber()); it != dirtier_.end()) it->second.owed = true;
  }
  void dirty_balance(const model::AddressSpace&) override {
    if (auto it = dirtier_.find(current_fiber()); it != dirtier_.end()) it->second.owed = false;
  }

  // --- a throttled writer kicks the flusher ---------------------------------------
  // The flusher's idle stretch belongs to its World's Mm: a later World
  // starts afresh.
  void world_destroyed(model::World&) override {
    mm_ = nullptr;
    idle_over_ = false;
  }
  void dirty_throttle(const model::Mm& mm, bool begin) override {
    mm_ = &mm;
    if (begin && throttled_++ == 0) throttled_since_ = sim::now();
    if (!begin) --throttled_;
  }
  void flusher_idle(const model::Mm& mm, bool idle) override {
    mm_ = &mm;
    if (idle) {
      idle_since_ = sim::now();
      idle_over_ = over();
      return;
    }
    if (throttled_ == 0 || !idle_over_ || !over()) return;
    const sim::Time slept = sim::now() - std::max(idle_since_, throttled_since_);
    WBSIM_CHECK(kDirtyThrottle, slept <= kKickBound,
                "the flusher slept {} ms with the dirty count over the background threshold ({} > {} pages) while "
                "a writer was paused in balance_dirty_pages: every pause of {} ms starts background writeback",
                slept / sim::kMs, mm.nr_dirty, mm.background_thresh, model::kDirtyThrottlePause / sim::kMs);
  }
  // Where the dirty count may have dipped under the threshold: the stretch
  // ends there.
  void folio_start_writeback(const model::Folio&) override { sample(); }
  void folio_removed(const model::Folio&) override { sample(); }
  void folio_unlocked(const model::Folio&) override { sample(); }

 private:
  struct Dirtier {
    std::uint32_t ino;
    model::loff_t pos;
    const char* what;
    bool owed;  // stored since its last balance_dirty_pages_ratelimited()
  };

  void end_dirtier(const model::NetfsInode& inode) {
    const auto it = dirtier_.find(current_fiber());
    if (it == dirtier_.end()) return;
    WBSIM_CHECK(kDirtyThrottle, !it->second.owed,
                "file {}: {} at {} stored into the page cache and returned without calling "
                "balance_dirty_pages_ratelimited() after its last store: the task is never throttled",
                inode.ino, it->second.what, it->second.pos);
    dirtier_.erase(it);
  }
  bool over() const { return mm_->nr_dirty > mm_->background_thresh; }
  void sample() {
    if (mm_ != nullptr && !over()) idle_over_ = false;
  }

  std::map<sim::FiberId, Dirtier> dirtier_;  // the write or mapped store each fiber is in
  const model::Mm* mm_ = nullptr;
  int throttled_ = 0;  // writers paused in balance_dirty_pages
  sim::Time throttled_since_ = 0;
  sim::Time idle_since_ = 0;
  bool idle_over_ = false;  // over the threshold since the flusher went idle
};

}  // namespace

std::unique_ptr<Checker> make_dirty_throttle_checker() { return std::make_unique<DirtyThrottle>(); }

}  // namespace wbsim::checkers
