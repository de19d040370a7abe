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
#include "cli/sweep_json.h"
#include "cli/sweep_report.h"
#include "cli/sweep_setup.h"
#include "scenarios/glob.h"
#include "scenarios/registry.h"
#include "sim/coverage.h"
#include "sim/failure_file.h"
#include "sim/known_finding.h"
#include "sim/sweep_isolation.h"

namespace wbsim::cli {

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
  // A shard cannot tell which of its failure groups the union keeps (the
  // first few by first seed over every shard), nor whether another shard
  // has a shorter run of one: it keeps them all for the merge.
  if (opt.shard_count > 1) opt.keep_failures = SIZE_MAX;
  return opt;
}

Compositions compositions(const std::vector<const scenarios::Scenario*>& selected, const SweepArgs& args) {
  check_params_declared(selected, args.params);
  const std::vector<std::string> sites =
      args.fault_sites.empty() ? std::vector<std::string>{} : parse_fault_sites_flag(args.fault_sites);
  Compositions out;
  for (const scenarios::Scenario* s : selected) out[s->name] = compose(*s, sites, args.params, /*skip_undeclared=*/true);
  return out;
}

namespace {

// One target per scenario: runs a seed with the sweep's strategy, bugs and
// the scenario's composition.
std::vector<sim::SweepTarget> sweep_targets(const std::vector<const scenarios::Scenario*>& selected,
                                            const sim::StrategySpec& strategy, const std::vector<std::string>& bugs,
                                            const Compositions& composed) {
  std::vector<sim::SweepTarget> targets;
  for (const scenarios::Scenario* s : selected) {
    sim::SweepTarget t;
    t.name = s->name;
    t.expect = s->options.expect;
    t.expect_checker = s->options.expect_checker;
    if (t.expect != sim::Expect::pass) {
      for (const sim::KnownFinding* f : sim::known_findings()) {
        if (scenarios::glob_match(f->mark().scope(), s->name) && f->explains(t.expect_checker)) t.pinned = f;
      }
    }
    t.run = [s, strategy, bugs, c = composed.at(s->name),
             reproduce = ReproduceCommand(s->name, strategy, bugs, composed.at(s->name))](std::uint64_t seed,
                                                                                          bool full) {
      scenarios::RunRequest req;
      req.seed = seed;
      req.strategy = strategy;
      req.bugs = bugs;
      req.keep_full_trace = full;
      req.passing_details = false;  // a passing seed's tape and fault header are not read
      req.composition = c;
      req.crash_context = "reproduce: " + reproduce(seed) + "\n";
      return scenarios::run_scenario(*s, req);
    };
    targets.push_back(std::move(t));
  }

  return targets;
}

// Writes a failure file for each kept failing seed of `t` and lists it.
void record_failures(const sim::TargetSummary& t, const SweepArgs& args, const sim::SweepOptions& opt,
                     const sim::StrategySpec& strategy, const scenarios::Composition& composition,
                     std::vector<FailureLine>& failures) {
  for (const sim::SeedFailure& f : t.failures) {
    FailureLine line{t.name, f.seed, f.group_seeds, f.group_first_seed, f.result.steps, "", "", "",
                     reproduce_command(t.name, f.seed, strategy, args.bugs, composition)};
    line.shape = sim::failure_shape(f.result);
    line.shard_index = opt.shard_index;
    line.shard_count = opt.shard_count;
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
      record_composition(rec, composition);
      // A seed whose process died has no tape to shrink.
      if (args.shrink && !sim::died_in_worker(f.result)) {
        // Only the file changes: the sweep's verdict and counts are the
        // seeds' own runs.
        const ShrinkOutcome shrunk =
            shrink_failure(*scenarios::find_scenario(t.name), rec, composition, kShrinkRuns);
        if (shrunk.reproduced) {
          rec.scenario = shrunk.scenario->name;
          fill_provenance(rec, *shrunk.scenario);
          fill_failure(rec, shrunk.after);
          record_composition(rec, shrunk.composition);
          line.shrunk_steps = shrunk.after.steps;
          if (shrunk.scenario->name != t.name) line.shrunk_scenario = shrunk.scenario->name;
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

SweepIdentity sweep_identity(const std::vector<sim::SweepTarget>& targets, const sim::SweepOptions& opt,
                             const sim::StrategySpec& strategy, const SweepArgs& args) {
  SweepIdentity id;
  for (const sim::SweepTarget& t : targets) id.scenarios.push_back(t.name);
  id.strategy = strategy.to_string();
  id.seeds = opt.seeds;
  id.seed_base = opt.seed_base;
  id.bugs = args.bugs;
  id.require_coverage = args.require_coverage;
  id.fault_sites = args.fault_sites;
  id.params = args.params;
  id.shard_index = opt.shard_index;
  id.shard_count = opt.shard_count;
  id.wbsim_version = wbsim_version();
  id.commit = wbsim_commit();
  return id;
}

}  // namespace

int cmd_sweep(const SweepArgs& args) {
  if (!args.spec.empty()) return run_spec(args);
  // With --script and no --scenario, the scripts' scenarios (the built-in
  // ones are a sweep of their own).
  const std::vector<std::string> script_names = load_scripts(args.scripts);
  return run_one_sweep(args, script_names);
}

int run_one_sweep(const SweepArgs& args, const std::vector<std::string>& script_names) {
  const auto selected = select_scenarios(args.scenario_globs.empty() ? script_names : args.scenario_globs);
  const sim::SweepOptions opt = sweep_options(args);
  const sim::StrategySpec strategy = parse_strategy(args.strategy);
  check_bugs(args.bugs);
  const Compositions composed = compositions(selected, args);
  // Before the first run: an hour's sweep must not find out at its end.
  check_output_dir("--out", args.out_dir);
  if (!args.junit_file.empty()) check_output_file("--junit", args.junit_file);
  if (!args.json_file.empty()) check_output_file("--json", args.json_file);

  // Each sweep thread's seeds run in a worker process of its own, so a
  // seed that crashes its process is a finding and the sweep goes on
  // (sim/sweep_isolation.h); --in-process keeps them here, for a debugger.
  std::vector<sim::SweepTarget> targets = sweep_targets(selected, strategy, args.bugs, composed);
  if (!args.in_process) targets = sim::run_in_workers(std::move(targets));
  const std::uint64_t shard_seed_count = sim::shard_seeds(opt).count;
  if (shard_seed_count > 0 && targets.size() > UINT64_MAX / shard_seed_count)
    throw UsageError(fmt::format("--seeds {}: {} scenarios x {} seeds overflows 64 bits", args.seeds, targets.size(),
                                 shard_seed_count));

  const bool tty = ::isatty(STDERR_FILENO) == 1;
  fmt::print("wbsim sweep: {} scenario(s) x {} seed(s) from {}, shard {}/{}, strategy {}, {} job(s)\n",
             targets.size(), shard_seed_count, opt.seed_base, opt.shard_index, opt.shard_count,
             strategy.to_string(), opt.jobs);
  if (!args.fault_sites.empty() || !args.params.empty())
    fmt::print("composed:{}{}\n", args.fault_sites.empty() ? "" : " --fault-sites " + args.fault_sites,
               [&] {
                 std::string p;
                 for (const std::string& a : args.params) p += " --param " + a;
                 return p;
               }());
  std::fflush(stdout);
  const std::size_t width = [&] {
    std::size_t w = 8;
    for (const auto& t : targets) w = std::max(w, t.name.size());
    return w;
  }();

  SweepOutcome outcome;
  outcome.identity = sweep_identity(targets, opt, strategy, args);
  outcome.time_limit_seconds = opt.time_limit_seconds;
  sim::SweepCallbacks cb;
  cb.progress = [&](std::uint64_t done, std::uint64_t total) {
    if (!tty || total == 0) return;
    const int bar = static_cast<int>(40.0 * static_cast<double>(done) / static_cast<double>(total));
    fmt::print(stderr, "\r[{:<40}] {}/{}", std::string(bar, '#'), done, total);
    std::fflush(stderr);
  };
  cb.target_done = [&](const sim::TargetSummary& t) {
    if (tty) fmt::print(stderr, "\r{:<60}\r", "");
    fmt::print("{:<4} {:<{}} seeds={} failures={} expected={} steps/s={}{}{}\n",
               t.passed ? "ok" : "FAIL", t.name, width, t.seeds_run, t.unexpected,
               t.expected_hits, format_rate(steps_per_second(t)),
               t.known > 0 ? fmt::format(" pinned-finding={}", t.known) : std::string(),
               t.passed && !t.deferred ? "" : "  " + t.verdict);
    std::fflush(stdout);
    record_failures(t, args, opt, strategy, composed.at(t.name), outcome.failures);
  };

  outcome.report = sim::run_sweep(targets, opt, cb);
  // The kept runs are in their failure files now.
  for (sim::TargetSummary& t : outcome.report.targets) t.failures.clear();
  std::vector<const sim::CoverageMark*> unhit;
  const int code = print_sweep_summary(outcome, unhit);
  if (!args.junit_file.empty()) write_junit(args.junit_file, outcome, unhit);
  if (!args.json_file.empty()) write_sweep_json(args.json_file, outcome);
  return code;
}

}  // namespace wbsim::cli
