// What `wbsim sweep` prints and writes after the runs: pinned findings
// reached, checker evaluations and coverage marks, JUnit and JSON files.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/coverage.h"
#include "sim/sweep.h"

namespace wbsim::cli {

// One failing seed as the sweep reports it.
struct FailureLine {
  std::string scenario;
  std::uint64_t seed;            // the group's shortest run
  std::uint64_t group_seeds = 1;  // seeds that failed the same way
  std::uint64_t first_seed = 0;
  std::uint64_t steps = 0;
  std::string checker;
  std::string message;
  std::string file;
  std::string reproduce;
  std::uint64_t shrunk_steps = 0;  // with --shrink: the file's run (0: not shrunk)
};

double steps_per_second(const sim::TargetSummary& t);

// Seeds that failed on the path of a pinned finding, grouped by finding.
void print_pinned_findings(const sim::SweepReport& report);
// Checker evaluations always; with `require_coverage` every mark, and the
// marks in scope that no run hit (returned).
std::vector<const sim::CoverageMark*> print_coverage(const sim::SweepReport& report, bool require_coverage);
void write_junit(const std::string& path, const sim::SweepReport& report, const std::vector<FailureLine>& failures,
                 const std::vector<const sim::CoverageMark*>& unhit, bool coverage_case);
void write_json(const std::string& path, const sim::SweepReport& report, const std::vector<FailureLine>& failures);

}  // namespace wbsim::cli
