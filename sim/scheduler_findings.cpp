// How a run's first failure is recorded (sim/scheduler.cpp is the run
// loop): the finding, where it fired, and the scenario line behind the
// fiber it fired in.
#include <string_view>

#include <fmt/format.h>

#include "sim/scheduler.h"

namespace wbsim::sim {

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
