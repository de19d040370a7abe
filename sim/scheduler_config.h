//! What one run of the scheduler is given: its seed and strategy, its
//! budgets, what it keeps, its bug switches and fault modes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/strategy.h"
#include "sim/tape.h"
#include "sim/types.h"

namespace wbsim::sim {

struct SchedulerConfig {
  std::uint64_t seed = 1;
  StrategySpec strategy;
  const Tape* replay_tape = nullptr;  // for StrategySpec::Kind::replay
  std::uint32_t pct_steps_hint = 2000;
  std::uint64_t step_budget = 10'000'000;
  Time time_budget = 3600 * kSec;
  bool keep_full_trace = false;
  // A passing run's tape and fault header go into its RunResult. A sweep
  // turns this off: it reads neither of a seed that passed, and the tape's
  // buffer then goes on to the next run (run_simulation).
  bool passing_details = true;
  std::vector<std::string> bugs;  // bug switches enabled for this run (by name)
  // By fault site index (fault_sites() order): +1 on for every seed, -1 off,
  // 0 (or past the end) as the swarm draws it (`--fault-sites`).
  std::vector<std::int8_t> fault_modes;
  // Record what every step after a fiber choice acted on (footprints()), for
  // explore's partial-order reduction.
  bool record_footprints = false;
  // Find a run going round the same steps with the clock standing still
  // (sim/repeat_watch.h) before the step budget does. Off only for the
  // runtime's benchmarks, whose loops go round on purpose.
  bool watch_repeats = true;
};

}  // namespace wbsim::sim
