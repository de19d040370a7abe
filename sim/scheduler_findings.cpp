// How a run's first failure is recorded (sim/scheduler.cpp is the run
// loop): the finding, where it fired, and the scenario line behind the
// fiber it fired in; and what is checked when a phase ends.
#include <string_view>

#include <fmt/format.h>

#include "sim/runtime_checkers.h"
#include "sim/scheduler.h"

namespace wbsim::sim {

std::string where(std::source_location loc) {
  if (loc.line() == 0) return "?";
  return fmt::format("{}:{}", loc.file_name(), loc.line());
}

void Scheduler::set_wait_condition(bool (*cond)(void*), void* arg, ObjectId guard) {
  // A fiber unwound at teardown leaves its wait's scope with no fiber current.
  if (current_ == kHost) return;
  Fiber& f = *fibers_[current_];
  f.wait_cond = cond;
  f.wait_cond_arg = arg;
  f.wait_cond_guard = guard;
}

bool Scheduler::condition_unmet(FiberId id) {
  const Fiber& f = *fibers_[id];
  if (f.state != State::blocked || f.wait_cond == nullptr) return false;
  // What the condition reads: for explore's reduction, the guard's state
  // (shared, as the waiter's own re-check reads it) or plain memory (the
  // step is unknown, as a wait_event's re-check is).
  if (open_step_ != kNoStep) {
    if (f.wait_cond_guard != kNoObject) {
      StepFootprint& fp = footprints_[open_step_];
      if (!fp.acted_on(f.wait_cond_guard) && !fp.shares(f.wait_cond_guard)) fp.shared.push_back(f.wait_cond_guard);
    } else {
      footprints_[open_step_].unknown = true;
    }
  }
  // A condition is a read: a scheduling point in it fails as one under a
  // spinlock does.
  const bool in_fiber = current_ != kHost;
  if (in_fiber) enter_atomic();
  const bool holds = f.wait_cond(f.wait_cond_arg);
  if (in_fiber) leave_atomic();
  return !holds;
}

// Nothing can run and no timer is pending. A fiber in a normal wait is
// stuck for good: a deadlock. One in an idle wait (a daemon waiting for
// work) is quiet, unless the condition it waits for holds already: then the
// wake-up that should have followed the change was never made (a flag set
// without wake_up, a wake-up on another queue, or one made before the flag
// it announces), and the daemon would sleep on with its work in front of it.
// The conditions are read here, outside their fibers: wait_event_idle's are
// side-effect free (sim/waitqueue.h).
void Scheduler::end_phase() {
  evaluated(kCheckDeadlock);
  for (FiberId id = 0; id < fibers_.size(); ++id) {
    const Fiber& f = *fibers_[id];
    if (f.state == State::blocked && f.wait_kind != WaitKind::idle) {
      bool cycle = false;
      for (FiberId j = 0; j < fibers_.size() && !cycle; ++j) cycle = closes_cycle(j);
      // Without a cycle, nothing holds what the stuck fibers wait for: a
      // wake-up that never comes (lost, or never written).
      finding_ = make_finding(
          "deadlock", cycle ? std::string("no fiber can run and no timer is pending")
                            : fmt::format("no fiber can run and no timer is pending: fiber '{}' waits in {}({}), "
                                          "which nothing left can wake",
                                          f.name, f.wait_op, f.blocked_on->name()));
      finding_->details = describe_blocked();
      return;
    }
  }
  evaluated(kCheckLostWakeup);
  for (FiberId id = 0; id < fibers_.size(); ++id) {
    const Fiber& f = *fibers_[id];
    if (f.state != State::blocked || f.wait_kind != WaitKind::idle || f.wait_cond == nullptr ||
        !f.wait_cond(f.wait_cond_arg))
      continue;
    finding_ = make_finding("lost-wakeup",
                            fmt::format("all is quiet, but fiber '{}' sleeps in {}({}) though the condition it "
                                        "waits for holds: nothing woke it after the change",
                                        f.name, f.wait_op, f.blocked_on->name()));
    finding_->where = where(f.wait_loc);
    finding_->details = describe_blocked();
    return;
  }
}

Finding Scheduler::make_finding(std::string checker, std::string message) const {
  Finding f;
  f.checker = std::move(checker);
  f.message = std::move(message);
  f.time = now_;
  f.step = step_;
  f.fiber = current_;
  f.fiber_name = fiber_name(current_);
  return f;
}

std::string Scheduler::scenario_origin(FiberId id) const {
  // A model fiber (a worker, an AIO completion) was spawned by model code;
  // its ancestors lead back to the one a scenario spawned.
  for (FiberId at = id; at != kNoFiber && at < fibers_.size(); at = fibers_[at]->parent) {
    const Fiber& f = *fibers_[at];
    const std::string_view file = f.spawn_loc.file_name();
    if (file.find("scenarios/") != std::string_view::npos && f.spawn_loc.line() != 0)
      return fmt::format("{}:{} ('{}')", file.substr(file.find("scenarios/")), f.spawn_loc.line(), f.name);
  }
  return {};
}

void Scheduler::fail(Finding finding) {
  if (!finding_) {
    finding.time = now_;
    finding.step = step_;
    finding.fiber = current_;
    finding.fiber_name = fiber_name(current_);
    if (current_ != kHost && finding.where.find("scenarios/") == std::string::npos)
      finding.scenario_where = scenario_origin(current_);
    finding_ = std::move(finding);
    trace(Reason::fail, kNoObject);
  }
  if (current_ == kHost) {
    teardown();
    throw RunFailed{};
  }
  switch_to(kHost);
  // The host never resumes a fiber after a finding; it only unwinds it.
  std::terminate();
}

}  // namespace wbsim::sim
