// `wbsim run` and `wbsim replay`: one simulation, reported in full.
#include <fmt/format.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "scenarios/registry.h"
#include "sim/failure_file.h"

namespace wbsim::cli {

namespace {

std::string expectation_note(const scenarios::Scenario& s) {
  switch (s.options.expect) {
    case sim::Expect::pass: return {};
    case sim::Expect::fail_always:
      return fmt::format("(this scenario is a canary: '{}' must fire on every seed)\n", s.options.expect_checker);
    case sim::Expect::fail_sometimes:
      return fmt::format("(this scenario plants a bug: '{}' is expected on some seeds)\n", s.options.expect_checker);
  }
  return {};
}

void write_trace(const std::string& path, const sim::RunResult& r) {
  std::string text = sim::format_trace_header() + "\n";
  for (const std::string& line : r.trace_all) text += line + "\n";
  write_file_atomically(path, text);
}

void print_header(const std::string& verb, const std::string& scenario, std::uint64_t seed,
                  const sim::StrategySpec& strategy, const std::vector<std::string>& bugs,
                  const sim::RunResult& r) {
  std::string bug_list;
  for (const auto& b : bugs) bug_list += (bug_list.empty() ? "" : ",") + b;
  fmt::print("wbsim {} {} seed={} strategy={} bugs={}\n", verb, scenario, seed, strategy.to_string(),
             bug_list.empty() ? "-" : bug_list);
  fmt::print("{}\n", r.fault_header);
}

}  // namespace

int cmd_run(const RunArgs& args) {
  const scenarios::Scenario& scenario = lookup_scenario(apply_dio_policy(args.scenario, args.dio_policy));
  scenarios::RunRequest req;
  req.seed = parse_seed("--seed", args.seed);
  req.strategy = parse_strategy(args.strategy);
  req.bugs = args.bugs;
  check_bugs(req.bugs);
  req.keep_full_trace = !args.trace_file.empty();
  const std::string reproduce = reproduce_command(scenario.name, req.seed, req.strategy, req.bugs);
  req.crash_context = fmt::format("reproduce: {}\n", reproduce);

  const sim::RunResult r = scenarios::run_scenario(scenario, req);
  print_header("run", scenario.name, req.seed, req.strategy, req.bugs, r);
  if (!args.trace_file.empty()) write_trace(args.trace_file, r);
  int code = kPass;
  if (r.finding) {
    print_finding(stdout, *r.finding, r);
    fmt::print("{}", expectation_note(scenario));
    sim::FailureRecord rec;
    rec.scenario = scenario.name;
    rec.seed = req.seed;
    rec.strategy = req.strategy;
    rec.bugs = req.bugs;
    rec.faults = scenario.options.faults;
    rec.checker = r.finding->checker;
    rec.message = r.finding->message;
    rec.time = r.finding->time;
    rec.step = r.finding->step;
    rec.trace_hash = r.trace_hash;
    rec.tape = r.tape;
    std::string error;
    const auto path = sim::write_failure_file(args.out_dir, rec, &error);
    if (path) {
      fmt::print("failure file: {}\n", *path);
    } else {
      fmt::print(stderr, "wbsim: {}\n", error);
    }
    fmt::print("reproduce: {}\n", reproduce);
    code = kViolated;
  } else {
    fmt::print("PASS: {} steps, virtual time {}, {} trace lines\n", r.steps, format_virtual_time(r.time),
               r.trace_lines);
  }
  if (args.trace_hash) fmt::print("trace-hash: {:016x}\n", r.trace_hash);
  return code;
}

int cmd_replay(const ReplayArgs& args) {
  std::string error;
  const auto rec = sim::read_failure_file(args.file, &error);
  if (!rec) throw UsageError(error);
  const scenarios::Scenario* scenario = scenarios::find_scenario(rec->scenario);
  if (scenario == nullptr)
    throw UsageError(fmt::format("{}:2: unknown scenario '{}' (wbsim list shows them)", args.file, rec->scenario));
  for (const std::string& b : rec->bugs) {
    try {
      check_bugs({b});
    } catch (const UsageError&) {
      throw UsageError(fmt::format("{}:5: unknown bug '{}'", args.file, b));
    }
  }
  scenarios::RunRequest req;
  req.seed = rec->seed;
  req.strategy.kind = sim::StrategySpec::Kind::replay;
  req.bugs = rec->bugs;
  req.replay_tape = &rec->tape;
  req.faults = rec->faults;
  req.keep_full_trace = !args.trace_file.empty();
  req.crash_context = fmt::format("reproduce: wbsim replay {}\n", args.file);

  const sim::RunResult r = scenarios::run_scenario(*scenario, req);
  print_header("replay", scenario->name, rec->seed, rec->strategy, rec->bugs, r);
  if (!args.trace_file.empty()) write_trace(args.trace_file, r);
  int code = kViolated;
  if (r.divergence) {
    fmt::print("HARNESS: replay diverged from the tape at choice {} (tape says {}, {} options exist)\n",
               r.divergence->position, r.divergence->recorded, r.divergence->bound);
    code = kHarness;
  } else if (r.trace_hash != rec->trace_hash) {
    fmt::print("HARNESS: replay diverged: trace hash {:016x}, the failure file recorded {:016x}\n", r.trace_hash,
               rec->trace_hash);
    code = kHarness;
  } else if (!r.finding) {
    fmt::print("HARNESS: replay did not reproduce the failure\n");
    code = kHarness;
  }
  if (r.finding) print_finding(stdout, *r.finding, r);
  fmt::print("reproduce: wbsim replay {}\n", args.file);
  if (args.trace_hash) fmt::print("trace-hash: {:016x}\n", r.trace_hash);
  return code;
}

int cmd_list(bool long_form) {
  for (const scenarios::Scenario* s : scenarios::all_scenarios()) {
    if (!long_form) {
      fmt::print("{}\n", s->name);
      continue;
    }
    std::string expect = s->options.expect == sim::Expect::pass ? "pass"
                         : s->options.expect == sim::Expect::fail_always
                             ? fmt::format("fails:{}", s->options.expect_checker)
                             : fmt::format("finds:{}", s->options.expect_checker);
    fmt::print("{:<40} {:<22} {}\n", s->name, expect, s->options.why);
  }
  return kPass;
}

}  // namespace wbsim::cli
