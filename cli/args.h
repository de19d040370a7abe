//! Argument validation shared by the commands. Every bad input becomes a
//! UsageError: one line naming the culprit, exit code 2.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "cli/number_args.h"
#include "scenarios/registry.h"
#include "sim/strategy.h"

namespace wbsim::sim {
struct FailureRecord;
}

namespace wbsim::cli {

sim::StrategySpec parse_strategy(const std::string& text);
void check_bugs(const std::vector<std::string>& bugs);
const scenarios::Scenario& lookup_scenario(const std::string& name);
// `--dio-policy NAME` on a dio/DESIGN/SHAPE scenario: the name of that
// shape's scenario under design NAME (the run, its failure file and its
// reproduce line then all name it).
std::string apply_dio_policy(const std::string& scenario, const std::string& policy);


// "wbsim run NAME --seed N [--strategy S] [--bug B]..."
// The path the binary was run by (argv[0]: "wbsim" when found on PATH,
// else the path given), which reproduce lines start with.
void set_program(std::string argv0);
const std::string& program();

std::string reproduce_command(const std::string& scenario, std::uint64_t seed, const sim::StrategySpec& strategy,
                              const std::vector<std::string>& bugs, const scenarios::Composition& composition = {});
// The same command made once for a sweep's scenario and then per seed: a
// sweep sets it as every run's crash context, and formatting it whole (a
// scenario lookup, several formats) cost more than a short run.
class ReproduceCommand {
 public:
  ReproduceCommand(const std::string& scenario, const sim::StrategySpec& strategy,
                   const std::vector<std::string>& bugs, const scenarios::Composition& composition);
  std::string operator()(std::uint64_t seed) const;

 private:
  std::string head_;  // up to the seed
  std::string tail_;  // after it
};

// Composition (scenarios/composition.h), cli/compose.cpp. `--fault-sites
// TEXT` checked: each entry signed and matching a site.
std::vector<std::string> parse_fault_sites_flag(const std::string& text);
// The composition of one scenario's runs: the fault sites, and those of
// `params` (NAME=VALUE) that it declares — all of them must be, unless
// `skip_undeclared` (a sweep over scenarios that declare different knobs).
scenarios::Composition compose(const scenarios::Scenario& scenario, const std::vector<std::string>& fault_sites,
                               const std::vector<std::string>& params, bool skip_undeclared = false);
// For a sweep: every --param must be declared by one of the scenarios.
void check_params_declared(const std::vector<const scenarios::Scenario*>& scenarios,
                           const std::vector<std::string>& params);
// A failure file's recorded composition, checked against the registry;
// bad text is FILE:LINE.
scenarios::Composition composition_of(const sim::FailureRecord& rec, const scenarios::Scenario& scenario,
                                      const std::string& file);
// Records `c` in a failure record.
void record_composition(sim::FailureRecord& rec, const scenarios::Composition& c);

// Writes `text` to `path` atomically (temporary file, fsync, rename).
void write_file_atomically(const std::string& path, const std::string& text);

}  // namespace wbsim::cli
