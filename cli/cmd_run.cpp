// `wbsim run` and `wbsim replay`: one simulation, reported in full.
#include <fmt/format.h>

#include "cli/args.h"
#include "cli/output_paths.h"
#include "cli/chrome_trace.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "cli/script.h"
#include "scenarios/bugs.h"
#include "scenarios/registry.h"
#include "build_info.h"
#include "sim/assert.h"
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

void write_chrome_trace(const std::string& path, const sim::RunResult& r, const std::string& title) {
  write_file_atomically(path, chrome_trace_json(r, title));
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
  load_scripts(args.scripts);
  const scenarios::Scenario& scenario = lookup_scenario(apply_dio_policy(args.scenario, args.dio_policy));
  scenarios::RunRequest req;
  req.seed = parse_seed("--seed", args.seed);
  req.strategy = parse_strategy(args.strategy);
  req.bugs = args.bugs;
  check_bugs(req.bugs);
  check_output_dir("--out", args.out_dir);
  if (!args.trace_file.empty()) check_output_file("--trace", args.trace_file);
  if (!args.chrome_trace_file.empty()) check_output_file("--chrome-trace", args.chrome_trace_file);
  req.keep_full_trace = !args.trace_file.empty() || !args.chrome_trace_file.empty();
  req.composition = compose(scenario, args.fault_sites.empty() ? std::vector<std::string>{}
                                                                : parse_fault_sites_flag(args.fault_sites),
                            args.params);
  const std::string reproduce = reproduce_command(scenario.name, req.seed, req.strategy, req.bugs, req.composition);
  req.crash_context = fmt::format("reproduce: {}\n", reproduce);

  const sim::RunResult r = scenarios::run_scenario(scenario, req);
  print_header("run", scenario.name, req.seed, req.strategy, req.bugs, r);
  if (!args.trace_file.empty()) write_trace(args.trace_file, r);
  if (!args.chrome_trace_file.empty())
    write_chrome_trace(args.chrome_trace_file, r, fmt::format("wbsim run {} --seed {}", scenario.name, req.seed));
  int code = kPass;
  if (r.finding) {
    print_finding(stdout, *r.finding, r);
    fmt::print("{}", expectation_note(scenario));
    sim::FailureRecord rec;
    fill_provenance(rec, scenario);
    rec.scenario = scenario.name;
    rec.seed = req.seed;
    rec.strategy = req.strategy;
    rec.bugs = req.bugs;
    rec.faults = scenario.options.faults;
    fill_failure(rec, r);
    record_composition(rec, req.composition);
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

namespace {

// The verdict of a replay, from what the run did with the file's tape.
int replay_verdict(const sim::FailureRecord& rec, const sim::RunResult& r, bool continue_run) {
  if (r.divergence) {
    const sim::Divergence& d = *r.divergence;
    std::string what;
    if (d.fiber_choice) {
      std::string names;
      for (const std::string& n : r.divergence_runnable) names += (names.empty() ? "" : ", ") + n;
      what = fmt::format("the tape chose runnable fiber #{}, only {} runnable: {}", d.recorded, d.bound, names);
    } else {
      what = fmt::format("the tape drew {}, the run drew below {}", d.recorded, d.bound);
    }
    fmt::print("DIVERGED at step {} (tape choice {} of {}): {}\n", d.step, d.position, rec.tape.size(), what);
    if (!continue_run) {
      fmt::print("(the model or the scenario changed since the file was written: wbsim {} at {}; "
                 "--continue finishes the run under the seeded strategy)\n",
                 rec.wbsim_version, rec.commit);
      return kHarness;
    }
    fmt::print("continued under the seeded strategy:\n");
  }
  if (r.finding && r.finding->checker == rec.checker) {
    fmt::print("REPRODUCED: {} fired again{}\n", rec.checker,
               r.trace_hash == rec.trace_hash ? " (the same trace, hash for hash)" : " (by a different trace)");
    return kViolated;
  }
  if (r.finding) {
    fmt::print("FAILS DIFFERENTLY: {} fired; the file recorded {}\n", r.finding->checker, rec.checker);
    return kViolated;
  }
  if (r.divergence) {
    fmt::print("PASSES after the divergence: no checker fired\n");
    return kPass;
  }
  if (r.replay_consumed == rec.tape.size()) {
    fmt::print("PASSES: followed the whole tape ({} choices), went on under the seeded strategy, and now passes: {} no "
               "longer fires\n",
               rec.tape.size(), rec.checker);
  } else {
    fmt::print("PASSES: followed the tape for {} of its {} choices, the run ended first, and now passes: {} no longer "
               "fires\n",
               r.replay_consumed, rec.tape.size(), rec.checker);
  }
  return kPass;
}

}  // namespace

void fill_provenance(sim::FailureRecord& rec, const scenarios::Scenario& scenario) {
  rec.wbsim_version = WBSIM_VERSION;
  rec.commit = WBSIM_GIT_COMMIT;
  rec.options = scenarios::describe_options(scenario.options);
  rec.script = scenario.script;
  rec.script_hash = scenario.script_hash;
}

void fill_failure(sim::FailureRecord& rec, const sim::RunResult& r) {
  SIM_ASSERT(r.finding.has_value());
  rec.checker = r.finding->checker;
  rec.message = r.finding->message;
  rec.time = r.finding->time;
  rec.step = r.finding->step;
  rec.trace_hash = r.trace_hash;
  rec.tape = r.tape;
}

namespace {

struct LoadedFile {
  sim::FailureRecord rec;
  const scenarios::Scenario* scenario = nullptr;
  scenarios::RunRequest req;
};

// Reads and checks a failure file and prepares its replay (bug switches
// replaced by `bugs` when given).
LoadedFile load_failure_file(const std::string& file, const std::optional<std::vector<std::string>>& bugs) {
  std::string error;
  auto rec = sim::read_failure_file(file, &error);
  if (!rec) throw UsageError(error);
  LoadedFile l;
  l.rec = std::move(*rec);
  load_script_of(l.rec, file);
  l.scenario = scenarios::find_scenario(l.rec.scenario);
  if (l.scenario == nullptr)
    throw UsageError(fmt::format("{}:{}: unknown scenario '{}' (wbsim list shows them)", file, 2, l.rec.scenario));
  for (const std::string& b : l.rec.bugs) {
    try {
      check_bugs({b});
    } catch (const UsageError&) {
      throw UsageError(fmt::format("{}:{}: unknown bug '{}'", file, 5, b));
    }
  }
  if (bugs) {
    for (const std::string& b : *bugs) {
      if (scenarios::find_bug(b) == nullptr)
        throw UsageError(fmt::format("--bugs: unknown bug '{}' (wbsim bugs lists them)", b));
    }
  }
  l.req.seed = l.rec.seed;
  l.req.strategy.kind = sim::StrategySpec::Kind::replay;
  l.req.bugs = bugs ? *bugs : l.rec.bugs;
  l.req.faults = l.rec.faults;
  l.req.composition = composition_of(l.rec, *l.scenario, file);
  l.req.crash_context = fmt::format("reproduce: {} replay {}\n", program(), file);
  return l;
}

}  // namespace

ReplayedFile replay_with_full_trace(const std::string& file) {
  LoadedFile l = load_failure_file(file, std::nullopt);
  l.req.replay_tape = &l.rec.tape;
  l.req.keep_full_trace = true;
  ReplayedFile out;
  out.scenario = l.scenario->name;
  out.seed = l.rec.seed;
  out.result = scenarios::run_scenario(*l.scenario, l.req);
  return out;
}

int cmd_replay(const ReplayArgs& args) {
  LoadedFile l = load_failure_file(args.file, args.bugs);
  const sim::FailureRecord* rec = &l.rec;
  const scenarios::Scenario* scenario = l.scenario;
  scenarios::RunRequest& req = l.req;
  req.replay_tape = &rec->tape;
  if (!args.trace_file.empty()) check_output_file("--trace", args.trace_file);
  if (!args.chrome_trace_file.empty()) check_output_file("--chrome-trace", args.chrome_trace_file);
  req.keep_full_trace = !args.trace_file.empty() || !args.chrome_trace_file.empty();

  const sim::RunResult r = scenarios::run_scenario(*scenario, req);
  print_header("replay", scenario->name, rec->seed, rec->strategy, req.bugs, r);
  fmt::print("recorded by wbsim {} at commit {}: {} ({})\n", rec->wbsim_version, rec->commit, rec->checker,
             rec->message);
  if (!args.trace_file.empty()) write_trace(args.trace_file, r);
  if (!args.chrome_trace_file.empty())
    write_chrome_trace(args.chrome_trace_file, r, fmt::format("wbsim replay {}", args.file));
  const int code = replay_verdict(*rec, r, args.continue_run);
  if (r.finding && (code != kHarness)) print_finding(stdout, *r.finding, r);
  fmt::print("reproduce: {} replay {}\n", program(), args.file);
  if (args.trace_hash) fmt::print("trace-hash: {:016x}\n", r.trace_hash);
  return code;
}

int cmd_list(bool long_form, const std::vector<std::string>& scripts) {
  load_scripts(scripts);
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
    if (!s->options.params.empty())
      fmt::print("{:<40} {:<22} params: {}\n", "", "", scenarios::describe_params(s->options.params));
  }
  return kPass;
}

}  // namespace wbsim::cli
