#include "model/mm/flusher.h"

#include "model/events.h"
#include "sim/coverage.h"
#include "sim/scheduler.h"

namespace wbsim::model {

WBSIM_MARK(kMarkFlusherBackground, "mm.flusher_background", "the flusher wrote back past the background threshold");
WBSIM_MARK(kMarkFlusherKupdate, "mm.flusher_kupdate", "the flusher wrote back data older than dirty_expire");
WBSIM_MARK(kMarkFlusherSync, "mm.flusher_sync", "the flusher ran queued WB_SYNC_ALL work");

Flusher::Flusher(Mm& mm, long chunk_pages) : mm_(mm), chunk_pages_(chunk_pages) {
  mm_.flusher = this;
  thread_ = std::make_unique<sim::Kthread>("flush-0:0", [this](sim::Kthread& self) { run(self); });
}

Flusher::~Flusher() {
  if (mm_.flusher == this) mm_.flusher = nullptr;
}

void Flusher::stop() {
  if (thread_ && !thread_->exited()) {
    thread_->stop();
    wq_.wake_up();
  }
}

// wb_start_background_writeback: a wake-up; the pass decides on the threshold.
void Flusher::wakeup_background() {
  if (background_) return;
  background_ = true;
  wq_.wake_up();
}

void Flusher::sync_all_and_wait() {
  SyncWork w;
  work_.push_back(&w);
  wq_.wake_up();
  w.done.wait();
}

bool Flusher::any_dirty() const {
  for (const AddressSpace* m : mappings_) {
    if (m->dirty_inode) return true;
  }
  return false;
}

void Flusher::writeback_all(SyncMode mode, bool kupdate_only) {
  for (AddressSpace* m : mappings_) {
    if (!m->dirty_inode) continue;
    if (kupdate_only && sim::now() < m->dirtied_when + kDirtyExpire) continue;
    if (kupdate_only) sim::mark(kMarkFlusherKupdate);
    WritebackControl wbc;
    wbc.sync_mode = mode;
    wbc.range_cyclic = mode == SyncMode::none;
    wbc.for_background = mode == SyncMode::none && !kupdate_only;
    wbc.for_kupdate = kupdate_only;
    wbc.nr_to_write = mode == SyncMode::all ? (1L << 30) : chunk_pages_;
    do_writepages(*m, wbc);
    if (mode == SyncMode::all && m->a_ops->write_inode != nullptr) m->a_ops->write_inode(*m);
  }
}

// wb_workfn -> wb_do_writeback: the queued work, then the periodic pass
// once dirty_writeback_interval has passed since the last one, then
// background writeback whenever the dirty count is over the background
// threshold, however the flusher was woken (wb_check_background_flush runs
// on every pass, so a writer's kick only makes it sooner).
void Flusher::run(sim::Kthread& self) {
  last_old_flush_ = sim::now();
  while (!self.should_stop()) {
    auto has_work = [&] { return !work_.empty() || background_ || self.should_stop(); };
    MODEL_EVENT(flusher_idle(mm_, true));
    if (any_dirty()) {
      // wb_wakeup_delayed: the periodic wake-up, re-armed while any inode is dirty.
      wq_.wait_event_timeout(has_work, kDirtyWritebackInterval);
    } else {
      // Nothing dirty: sleep until woken (the kernel re-arms the delayed
      // work only when an inode is dirtied).
      wq_.wait_event_idle([&] { return has_work() || any_dirty(); });
    }
    MODEL_EVENT(flusher_idle(mm_, false));
    if (self.should_stop()) break;
    background_ = false;
    while (!work_.empty()) {
      SyncWork* w = work_.front();
      work_.pop_front();
      sim::mark(kMarkFlusherSync);
      writeback_all(SyncMode::all, false);
      w->done.complete();
    }
    wb_check_old_data_flush();
    wb_check_background_flush();
  }
}

// Data dirtied longer than dirty_expire ago, once per dirty_writeback_interval.
void Flusher::wb_check_old_data_flush() {
  if (sim::now() < last_old_flush_ + kDirtyWritebackInterval) return;
  last_old_flush_ = sim::now();
  if (any_dirty()) writeback_all(SyncMode::none, true);
}

// wb_writeback of a for_background work: until under the threshold, or
// until a pass writes nothing (the kernel's b_more_io list empty).
void Flusher::wb_check_background_flush() {
  for (int rounds = 0; rounds < 16 && mm_.nr_dirty > mm_.background_thresh; ++rounds) {
    sim::mark(kMarkFlusherBackground);
    const std::uint64_t before = mm_.nr_dirty;
    writeback_all(SyncMode::none, false);
    if (mm_.nr_dirty >= before) break;
  }
}

}  // namespace wbsim::model
