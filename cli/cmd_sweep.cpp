// `wbsim sweep`: scenarios x seeds in parallel, judged against each
// scenario's expectation, with a determinism re-check.
#include <unistd.h>

#include <algorithm>
#include <map>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/output_paths.h"
#include "cli/commands.h"
#include "cli/shrink.h"
#include "cli/report.h"
#include "cli/script.h"
#include "cli/sweep_report.h"
#include "scenarios/registry.h"
#include "sim/coverage.h"
#include "sim/failure_file.h"
#include "sim/sweep_isolation.h"

namespace wbsim::cli {

namespace {

std::vector<const scenarios::Scenario*> select_scenarios(const std::vector<std::string>& globs) {
  if (globs.empty()) return scenarios::all_scenarios();
  std::vector<const scenarios::Scenario*> out;
  for (const std::string& g : globs) {
    auto matched = scenarios::match_scenarios(g);
    if (matched.empty()) throw UsageError(fmt::format("--scenario '{}': matches no scenario (wbsim list)", g));
    for (const auto* s : matched) {
      if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
    }
  }
  std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->name < b->name; });
  return out;
}

// The sweep's options from the command line (bad values exit 2).
sim::SweepOptions sweep_options(const SweepArgs& args) {
  sim::SweepOptions opt;
  opt.seeds = parse_seed("--seeds", args.seeds);
  if (opt.seeds == 0) throw UsageError("--seeds 0: must be at least 1");
  opt.seed_base = parse_seed("--seed-base", args.seed_base);
  if (opt.seed_base + opt.seeds < opt.seed_base) throw UsageError("--seed-base + --seeds overflows 64 bits");
  if (args.jobs.empty()) {
    opt.jobs = std::max(1u, std::thread::hardware_concurrency());
  } else {
    const std::uint64_t jobs = parse_seed("--jobs", args.jobs);
    if (jobs == 0 || jobs > 1024) throw UsageError(fmt::format("--jobs {}: must be 1 to 1024", args.jobs));
    opt.jobs = static_cast<unsigned>(jobs);
  }
  const Shard shard = shard_from_environment_or(args.shard);
  opt.shard_index = shard.index;
  opt.shard_count = shard.count;
  if (!args.time_limit.empty()) {
    const std::uint64_t limit = parse_seed("--time-limit", args.time_limit);
    if (limit == 0) throw UsageError("--time-limit 0: must be at least 1 second");
    opt.time_limit_seconds = static_cast<double>(limit);
  }
  return opt;
}

// One target per scenario: runs a seed with the sweep's strategy and bugs.
std::vector<sim::SweepTarget> sweep_targets(const std::vector<const scenarios::Scenario*>& selected,
                                            const sim::StrategySpec& strategy, const std::vector<std::string>& bugs) {
  std::vector<sim::SweepTarget> targets;
  for (const scenarios::Scenario* s : selected) {
    sim::SweepTarget t;
    t.name = s->name;
    t.expect = s->options.expect;
    t.expect_checker = s->options.expect_checker;
    t.run = [s, strategy, bugs](std::uint64_t seed, bool full) {
      scenarios::RunRequest req;
      req.seed = seed;
      req.strategy = strategy;
      req.bugs = bugs;
      req.keep_full_trace = full;
      req.crash_context = fmt::format("reproduce: {}\n", reproduce_command(s->name, seed, strategy, bugs));
      return scenarios::run_scenario(*s, req);
    };
    targets.push_back(std::move(t));
  }

  return targets;
}

// Writes a failure file for each kept failing seed of `t` and lists it.
void record_failures(const sim::TargetSummary& t, const SweepArgs& args, const sim::StrategySpec& strategy,
                     std::vector<FailureLine>& failures) {
  for (const sim::SeedFailure& f : t.failures) {
    FailureLine line{t.name, f.seed, f.group_seeds, f.group_first_seed, f.result.steps, "", "", "",
                     reproduce_command(t.name, f.seed, strategy, args.bugs)};
    if (f.result.finding) {
      line.checker = f.result.finding->checker;
      line.message = f.result.finding->message;
      sim::FailureRecord rec;
      fill_provenance(rec, *scenarios::find_scenario(t.name));
      rec.scenario = t.name;
      rec.seed = f.seed;
      rec.strategy = strategy;
      rec.bugs = args.bugs;
      rec.faults = scenarios::find_scenario(t.name)->options.faults;
      fill_failure(rec, f.result);
      // A seed whose process died has no tape to shrink.
      if (args.shrink && !sim::died_in_worker(f.result)) {
        // Only the file changes: the sweep's verdict and counts are the
        // seeds' own runs.
        const ShrinkOutcome shrunk = shrink_failure(*scenarios::find_scenario(t.name), rec, kShrinkRuns);
        if (shrunk.reproduced) {
          fill_failure(rec, shrunk.after);
          line.shrunk_steps = shrunk.after.steps;
        }
      }
      std::string error;
      auto path = sim::write_failure_file(args.out_dir, rec, &error);
      line.file = path ? *path : "(not written: " + error + ")";
    } else {
      line.checker = "(none)";
      line.message = "passed, but this scenario must fail";
    }
    failures.push_back(std::move(line));
  }
}

}  // namespace

int cmd_sweep(const SweepArgs& args) {
  // With --script and no --scenario, the scripts' scenarios (the built-in
  // ones are a sweep of their own).
  const std::vector<std::string> script_names = load_scripts(args.scripts);
  const auto selected = select_scenarios(args.scenario_globs.empty() ? script_names : args.scenario_globs);
  const sim::SweepOptions opt = sweep_options(args);
  const sim::StrategySpec strategy = parse_strategy(args.strategy);
  check_bugs(args.bugs);
  // Before the first run: an hour's sweep must not find out at its end.
  check_output_dir("--out", args.out_dir);
  if (!args.junit_file.empty()) check_output_file("--junit", args.junit_file);
  if (!args.json_file.empty()) check_output_file("--json", args.json_file);

  // Each sweep thread's seeds run in a worker process of its own, so a
  // seed that crashes its process is a finding and the sweep goes on
  // (sim/sweep_isolation.h); --in-process keeps them here, for a debugger.
  std::vector<sim::SweepTarget> targets = sweep_targets(selected, strategy, args.bugs);
  if (!args.in_process) targets = sim::run_in_workers(std::move(targets));

  const bool tty = ::isatty(STDERR_FILENO) == 1;
  fmt::print("wbsim sweep: {} scenario(s) x {} seed(s) from {}, shard {}/{}, strategy {}, {} job(s)\n",
             targets.size(), sim::shard_seeds(opt).size(), opt.seed_base, opt.shard_index, opt.shard_count,
             strategy.to_string(), opt.jobs);
  std::fflush(stdout);
  const std::size_t width = [&] {
    std::size_t w = 8;
    for (const auto& t : targets) w = std::max(w, t.name.size());
    return w;
  }();

  std::vector<FailureLine> failures;
  sim::SweepCallbacks cb;
  cb.progress = [&](std::uint64_t done, std::uint64_t total) {
    if (!tty || total == 0) return;
    const int bar = static_cast<int>(40 * done / total);
    fmt::print(stderr, "\r[{:<40}] {}/{}", std::string(bar, '#'), done, total);
    std::fflush(stderr);
  };
  cb.target_done = [&](const sim::TargetSummary& t) {
    if (tty) fmt::print(stderr, "\r{:<60}\r", "");
    fmt::print("{:<4} {:<{}} seeds={} failures={} expected={} steps/s={}{}{}\n", t.passed ? "ok" : "FAIL", t.name,
               width, t.seeds_run, t.unexpected, t.expected_hits, format_rate(steps_per_second(t)),
               t.known > 0 ? fmt::format(" pinned-finding={}", t.known) : std::string(),
               t.passed ? "" : "  " + t.verdict);
    std::fflush(stdout);
    record_failures(t, args, strategy, failures);
  };

  const sim::SweepReport report = sim::run_sweep(targets, opt, cb);

  std::uint64_t seeds_total = 0, failures_total = 0, steps_total = 0;
  bool all_passed = true;
  fmt::print("\n{:<{}} {:>8} {:>9} {:>9} {:>9}  verdict\n", "scenario", width, "seeds", "failures", "expected",
             "steps/s");
  for (const sim::TargetSummary& t : report.targets) {
    fmt::print("{:<{}} {:>8} {:>9} {:>9} {:>9}  {}\n", t.name, width, t.seeds_run, t.unexpected, t.expected_hits,
               format_rate(steps_per_second(t)), t.verdict);
    seeds_total += t.seeds_run;
    failures_total += t.unexpected;
    steps_total += t.steps;
    all_passed = all_passed && t.passed;
  }
  print_pinned_findings(report);
  const std::vector<const sim::CoverageMark*> unhit = print_coverage(report, args.require_coverage);
  // One entry per failure group: the shortest run of the seeds that failed
  // the same way (checker, where, message shape).
  for (const FailureLine& f : failures) {
    fmt::print("\nFAIL {} seed {}: {}: {}\n", f.scenario, f.seed, f.checker, f.message);
    if (f.group_seeds > 1)
      fmt::print("  {} seeds fail this way (first seed {}); this one is the shortest, {} steps\n", f.group_seeds,
                 f.first_seed, f.steps);
    if (f.shrunk_steps != 0)
      fmt::print("  shrunk: {} -> {} steps, the same checker at the same place (wbsim replay FILE)\n", f.steps,
                 f.shrunk_steps);
    fmt::print("  failure file: {}\n  reproduce: {}\n", f.file, f.reproduce);
  }
  fmt::print("\nsweep: {} scenarios, {} seeds, {} failing seeds, {} determinism re-runs, {} steps in {:.2f} s\n",
             report.targets.size(), seeds_total, failures_total, report.rechecked, steps_total, report.wall_seconds);
  if (report.time_limited) fmt::print("sweep: stopped at the time limit of {} s\n", opt.time_limit_seconds);

  int code = all_passed && unhit.empty() ? kPass : kViolated;
  if (report.mismatch) {
    const auto& m = *report.mismatch;
    fmt::print("HARNESS: determinism leak in {} seed {}: trace hash {:016x} then {:016x}\n  first difference: {}\n",
               m.target, m.seed, m.first_hash, m.second_hash, m.first_difference);
    code = kHarness;
  }

  if (!args.junit_file.empty()) write_junit(args.junit_file, report, failures, unhit, args.require_coverage);
  if (!args.json_file.empty()) write_json(args.json_file, report, failures);
  return code;
}

}  // namespace wbsim::cli
