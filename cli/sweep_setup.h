//! What a sweep is set up from, checked before any seed runs (cmd_sweep.cpp);
//! `--spec` checks each of its sweeps with these before running the first.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "scenarios/registry.h"
#include "sim/sweep.h"

namespace wbsim::cli {

// The scenarios the globs select (every scenario for none), sorted by name;
// a glob that matches nothing is a UsageError.
std::vector<const scenarios::Scenario*> select_scenarios(const std::vector<std::string>& globs);
// Seeds, seed base, jobs, shard and time limit, checked.
sim::SweepOptions sweep_options(const SweepArgs& args);
// Each selected scenario's composition: the sweep's fault sites, and those
// of its --param values the scenario declares (each value declared by one
// of them at least).
using Compositions = std::map<std::string, scenarios::Composition>;
Compositions compositions(const std::vector<const scenarios::Scenario*>& selected, const SweepArgs& args);

}  // namespace wbsim::cli
