// What `wbsim sweep` and `wbsim merge` print and write after the runs: the
// summary (table, pinned findings reached, checker evaluations and coverage
// marks, failure groups, totals) and the JUnit file. The JSON report is
// cli/sweep_json.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/coverage.h"
#include "sim/sweep.h"

namespace wbsim::cli {

// One failure group as the sweep reports it: its shortest run.
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
  // With --shrink, when the shrunk file names another scenario: the one an
  // mm/pressure/* copy copies (its failure needs no memory pressure).
  std::string shrunk_scenario{};
  std::string shape{};             // sim::failure_shape: what groups it, across shards too
  std::uint32_t shard_index = 0;   // the shard that ran `seed`
  std::uint32_t shard_count = 1;
};

// What makes shards one sweep, and which shard this is. Shards of one
// sweep agree on everything but the index.
struct SweepIdentity {
  std::vector<std::string> scenarios;  // in the sweep's order
  std::string strategy;
  std::uint64_t seeds = 0;  // per scenario, over every shard
  std::uint64_t seed_base = 1;
  std::vector<std::string> bugs;
  bool require_coverage = false;
  // The composition every seed ran under (--fault-sites, --param).
  std::string fault_sites;
  std::vector<std::string> params;
  std::uint32_t shard_index = 0;
  std::uint32_t shard_count = 1;
  std::string wbsim_version;
  std::string commit;

  bool whole_sweep() const { return shard_count == 1; }
};

// A sweep's outcome: what its summary prints and its JSON report records.
// `report.targets[i].failures` is not used: `failures` holds the groups.
struct SweepOutcome {
  SweepIdentity identity;
  sim::SweepReport report;
  std::vector<FailureLine> failures;  // by target, then first seed
  double time_limit_seconds = 0;      // 0: none
};

// This binary's version and commit, for SweepIdentity and failure files.
std::string wbsim_version();
std::string wbsim_commit();

double steps_per_second(const sim::TargetSummary& t);

// Seeds that failed on the path of a pinned finding, grouped by finding.
void print_pinned_findings(const sim::SweepReport& report);
// Checker evaluations always; with `require_coverage` every mark, and the
// marks in scope that no run hit (returned). A shard (`whole_sweep` false)
// defers unhit marks to the merge instead of failing on them.
std::vector<const sim::CoverageMark*> print_coverage(const sim::SweepReport& report, bool require_coverage,
                                                     bool whole_sweep);
// Prints the summary from the table on and returns the exit code: 3 for a
// determinism leak, 1 for a failed verdict or (of a whole sweep) an unhit
// mark, else 0. `unhit` receives the unhit marks in scope.
int print_sweep_summary(const SweepOutcome& o, std::vector<const sim::CoverageMark*>& unhit);
// The JUnit report; a shard's suite and class names carry the shard, and
// what it defers to the merge is a skipped case.
void write_junit(const std::string& path, const SweepOutcome& o, const std::vector<const sim::CoverageMark*>& unhit);

}  // namespace wbsim::cli
