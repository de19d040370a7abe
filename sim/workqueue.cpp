#include "sim/workqueue.h"

#include <algorithm>

#include <fmt/format.h>

#include "sim/assert.h"
#include "sim/coverage.h"

namespace wbsim::sim {

WBSIM_MARK(kMarkWorkRequeuedWhileRunning, "sim.work_requeued_while_running",
           "a work item was queued again while it ran");

Workqueue::Workqueue(std::string name, unsigned max_active)
    : WaitObject("workqueue", name),
      max_active_(max_active),
      more_work_(name + ".more"),
      progress_(name + ".progress") {
  SIM_ASSERT_CMP(max_active, >=, 1u);
}

Workqueue::~Workqueue() {
  for (FiberId w : workers_) {
    if (!sched_.fiber_finished(w)) sched_.kill(w);
  }
}

bool Workqueue::queue_work(Work& work, std::source_location loc) {
  sched_.yield();
  if (work.pending_) return false;
  if (work.running_) mark(kMarkWorkRequeuedWhileRunning);
  if (work.id_ == 0) work.id_ = next_work_id_++;
  work.pending_ = true;
  queue_.push_back(&work);
  note_signal(sched_.current_fiber(), loc);
  sched_.trace(Reason::work_queue, id(), work.id_);
  // A worker spawned but not yet running is free; start another only when
  // more items wait than free workers can take, as the kernel's pool keeps
  // an idle worker ready while work sleeps.
  if (workers_.size() < max_active_ && queue_.size() > workers_.size() - busy_) {
    workers_.push_back(
        sched_.spawn(fmt::format("{}/{}", name(), workers_.size()), [this] { worker_loop(); }, loc));
  }
  more_work_.wake_up(loc);
  return true;
}

bool Workqueue::has_runnable_item() const {
  return std::any_of(queue_.begin(), queue_.end(), [](const Work* w) { return !w->running_; });
}

Work* Workqueue::take_runnable_item() {
  for (auto it = queue_.begin(); it != queue_.end(); ++it) {
    if (!(*it)->running_) {
      Work* w = *it;
      queue_.erase(it);
      return w;
    }
  }
  return nullptr;
}

void Workqueue::worker_loop() {
  for (;;) {
    more_work_.wait_event_idle([&] { return has_runnable_item(); });
    Work* work = take_runnable_item();  // no scheduling point since the check
    ++busy_;
    work->pending_ = false;
    work->running_ = true;
    sched_.trace(Reason::work_start, id(), work->id_);
    work->fn_();
    work->running_ = false;
    --busy_;
    sched_.trace(Reason::work_end, id(), work->id_);
    progress_.wake_up();
    // Another worker may have skipped an item because this one was running it.
    if (!queue_.empty()) more_work_.wake_up();
  }
}

void Workqueue::flush_work(Work& work, std::source_location loc) {
  progress_.wait_event([&] { return !work.pending_ && !work.running_; }, loc);
}

void Workqueue::flush(std::source_location loc) {
  progress_.wait_event([&] { return queue_.empty() && busy_ == 0; }, loc);
}

bool Workqueue::cancel_work(Work& work) {
  sched_.yield();
  auto it = std::find(queue_.begin(), queue_.end(), &work);
  if (it == queue_.end()) return false;
  queue_.erase(it);
  work.pending_ = false;
  progress_.wake_up();
  return true;
}

}  // namespace wbsim::sim
