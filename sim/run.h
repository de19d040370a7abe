//! Running one simulation: scheduler set-up, the swarm draw, the body, and
//! the collection of everything a report or a failure file needs.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sim/finding.h"
#include "sim/scheduler.h"
#include "sim/strategy.h"
#include "sim/tape.h"

namespace wbsim::sim {

struct RunResult {
  std::optional<Finding> finding;
  std::uint64_t steps = 0;
  std::uint64_t switches = 0;  // context switches (fiber to fiber)
  Time time = 0;
  std::uint64_t trace_hash = 0;
  std::uint64_t trace_lines = 0;
  Tape tape;
  std::string fault_header;
  std::vector<std::string> trace_tail;  // formatted, oldest first
  std::vector<std::string> trace_all;   // formatted, when the full trace was kept
  // The full trace as records, with the names of the fibers and objects it
  // mentions (when the full trace was kept), for the pictures.
  std::vector<TraceRecord> trace_records;
  std::map<FiberId, std::string> fiber_names;
  std::map<ObjectId, std::string> object_names;
  std::optional<Divergence> divergence; // replay only
  std::vector<std::string> divergence_runnable;  // the runnable fibers' names at a fiber-choice divergence
  std::size_t replay_consumed = 0;      // tape choices a replay followed
  std::vector<ChoiceInfo> choice_info;  // shrink strategy only: one per tape choice
  std::vector<StepFootprint> footprints; // SchedulerConfig::record_footprints: by tape position
  std::size_t fibers = 0;               // fibers spawned
  std::size_t fault_sites_on = 0;       // sites on for the run (drawn or forced, not kept off)
  std::uint64_t faults_fired = 0;       // fault site firings
  std::vector<std::uint64_t> mark_hits; // by coverage mark index; one per registered mark
};

using Body = std::function<void(Scheduler&)>;

// Tells the C allocator that this process runs many short simulations: the
// memory a run frees stays with the process for the next run instead of
// going back to the kernel (glibc trims the heap top and unmaps large
// blocks by default, and the next run's page faults then cost more system
// time than the run's user time). Called once by wbsim at start-up, so
// sweep worker processes, forked from it, inherit it. Peak memory is
// unchanged: what is kept is what a run needed.
void keep_memory_between_runs();

// Runs `body` as the host of a fresh simulation on this thread. The body
// spawns fibers and calls Scheduler::run() for each phase. `crash_context`
// is printed if a fiber overflows its stack.
RunResult run_simulation(const SchedulerConfig& config, bool faults, const Body& body,
                         const std::string& crash_context);

}  // namespace wbsim::sim
