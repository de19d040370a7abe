//! Systematic search of a scenario's schedules (`wbsim explore`): every
//! schedule with at most K preemptions, each run once, depth first (CHESS's
//! preemption bounding), with a sleep-set partial-order reduction on the
//! scenarios that allow it (ScenarioOptions::por_safe). docs/runtime.md has
//! the search and the reduction's soundness argument.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "scenarios/registry.h"
#include "sim/run.h"

namespace wbsim::scenarios {

struct ExploreOptions {
  unsigned preemption_bound = 2;
  std::uint64_t max_schedules = 100000;
  // Sleep sets, when the scenario is marked por_safe; false: every schedule.
  bool reduction = true;
  std::vector<std::string> bugs;  // bug switches on in every run
  Composition composition;        // --param values (the scenario's declared knobs)
};

struct ExploreResult {
  std::uint64_t schedules = 0;      // runs made
  std::uint64_t steps = 0;          // their steps, summed
  bool exhausted = false;           // every schedule within the bound was run (or covered), none failed
  std::size_t branches_left = 0;    // when max_schedules stopped it
  bool reduced = false;             // the sleep sets were on
  std::uint64_t pruned = 0;         // branches the sleep sets cut
  std::optional<sim::RunResult> failure;  // the first failing run
  unsigned failure_preemptions = 0;
  std::uint64_t seed = 1;           // every run's seed (draws take 0: it only names the runs)
};

ExploreResult explore(const Scenario& scenario, const ExploreOptions& options);

}  // namespace wbsim::scenarios
