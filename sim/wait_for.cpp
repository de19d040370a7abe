// The wait-for analysis of the scheduler (sim/scheduler.cpp is the run
// loop): who a blocked fiber waits for, the cycles that make a deadlock, and
// the descriptions a deadlock, hang or livelock finding carries.
#include <algorithm>

#include <fmt/format.h>

#include "sim/scheduler.h"

namespace wbsim::sim {

FiberId Scheduler::waits_for(FiberId id) const {
  const Fiber& f = *fibers_[id];
  if (f.state != State::blocked || f.blocked_on == nullptr || f.deadline != kNever) return kNoFiber;
  if (f.holder_ref != nullptr) return *f.holder_ref;
  return f.blocked_on->holder();
}

bool Scheduler::closes_cycle(FiberId start) const {
  // A walk of more hops than there are fibers without meeting `start` has
  // entered a cycle that does not pass through it.
  FiberId at = start;
  for (std::size_t hops = 0; hops <= fibers_.size(); ++hops) {
    const FiberId h = waits_for(at);
    if (h == kNoFiber || h == at) return h == start;
    if (h == start) return true;
    at = h;
  }
  return false;
}

std::vector<FiberId> Scheduler::wait_cycle(FiberId start) const {
  // Every block asks; the path is only built when there is one to report.
  if (!closes_cycle(start)) return {};
  std::vector<FiberId> path{start};
  for (FiberId at = start;;) {
    const FiberId h = waits_for(at);
    if (h == kNoFiber) return {};
    if (h == start) return path;  // a fiber waiting for itself is a cycle of one
    if (h == at) return {};
    if (std::find(path.begin(), path.end(), h) != path.end()) return {};  // a cycle not through start
    path.push_back(h);
    at = h;
  }
}

std::string Scheduler::describe_cycle(const std::vector<FiberId>& cycle) const {
  std::string out = "  cycle:";
  for (FiberId p : cycle) out += fmt::format(" '{}' ->", fibers_[p]->name);
  out += fmt::format(" '{}'\n", fibers_[cycle.front()]->name);
  return out;
}

namespace {
std::string describe_notes(const std::vector<const char*>& notes) {
  std::string out;
  for (std::size_t i = 0; i < notes.size(); ++i) out += fmt::format("{} {}", i == 0 ? " during" : " >", notes[i]);
  return out;
}
}  // namespace

std::string Scheduler::describe_wait(FiberId id) const {
  const Fiber& f = *fibers_[id];
  switch (f.state) {
    case State::runnable: return "runnable" + describe_notes(f.notes);
    case State::finished: return "finished";
    case State::blocked: break;
  }
  return fmt::format("blocked in {}({}){}", f.wait_op, f.blocked_on->name(), describe_notes(f.notes));
}

std::string Scheduler::describe_blocked() const {
  std::string out;
  for (FiberId id = 0; id < fibers_.size(); ++id) {
    const Fiber& f = *fibers_[id];
    if (f.state != State::blocked || f.wait_kind == WaitKind::idle) continue;
    const WaitObject& o = *f.blocked_on;
    out += fmt::format("  fiber {} '{}' blocked in {}({}) at {}", id, f.name, f.wait_op, o.name(),
                       where(f.wait_loc));
    out += describe_notes(f.notes);
    const std::string state = o.state();
    if (!state.empty()) out += fmt::format(" [{}]", state);
    out += "\n";
    if (f.holder_ref != nullptr && *f.holder_ref != kNoFiber) {
      out += fmt::format("      {} '{}' is held by fiber {} '{}'\n", o.kind(), o.name(), *f.holder_ref,
                         fiber_name(*f.holder_ref));
    } else if (o.holder() != kNoFiber) {
      out += fmt::format("      {} '{}' is held by fiber {} '{}' since {}\n", o.kind(), o.name(), o.holder(),
                         fiber_name(o.holder()), where(o.held_at()));
    } else if (o.last_signaller() != kNoFiber) {
      out += fmt::format("      {} '{}' was last signalled by fiber {} '{}' at {}\n", o.kind(), o.name(),
                         o.last_signaller(), fiber_name(o.last_signaller()), where(o.signalled_at()));
    } else {
      out += fmt::format("      {} '{}' has never been signalled\n", o.kind(), o.name());
    }
  }
  // Name a cycle, if there is one.
  for (FiberId start = 0; start < fibers_.size(); ++start) {
    if (const std::vector<FiberId> cycle = wait_cycle(start); !cycle.empty()) return out + describe_cycle(cycle);
  }
  return out;
}

std::string Scheduler::describe_busiest() const {
  std::vector<FiberId> ids(fibers_.size());
  for (FiberId i = 0; i < ids.size(); ++i) ids[i] = i;
  std::stable_sort(ids.begin(), ids.end(),
                   [&](FiberId a, FiberId b) { return fibers_[a]->steps > fibers_[b]->steps; });
  std::string out = "  busiest fibers:\n";
  for (std::size_t i = 0; i < ids.size() && i < 5; ++i) {
    const Fiber& f = *fibers_[ids[i]];
    const char* state = f.state == State::runnable ? "runnable" : f.state == State::blocked ? "blocked" : "finished";
    out += fmt::format("    fiber {} '{}': {} steps, {}\n", ids[i], f.name, f.steps, state);
  }
  return out;
}

}  // namespace wbsim::sim
