// `wbsim sweep`: scenarios x seeds in parallel, judged against each
// scenario's expectation, with a determinism re-check.
#include <unistd.h>

#include <algorithm>
#include <map>
#include <string_view>
#include <thread>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "scenarios/registry.h"
#include "sim/coverage.h"
#include "sim/failure_file.h"

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

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", c);
    } else {
      out += c;
    }
  }
  return out;
}

double steps_per_second(const sim::TargetSummary& t) {
  return t.busy_seconds > 0 ? static_cast<double>(t.steps) / t.busy_seconds : 0;
}

struct FailureLine {
  std::string scenario;
  std::uint64_t seed;
  std::string checker;
  std::string message;
  std::string file;
  std::string reproduce;
};

}  // namespace

int cmd_sweep(const SweepArgs& args) {
  const auto selected = select_scenarios(args.scenario_globs);
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
  const sim::StrategySpec strategy = parse_strategy(args.strategy);
  check_bugs(args.bugs);

  std::vector<sim::SweepTarget> targets;
  for (const scenarios::Scenario* s : selected) {
    sim::SweepTarget t;
    t.name = s->name;
    t.expect = s->options.expect;
    t.expect_checker = s->options.expect_checker;
    t.run = [s, strategy, bugs = args.bugs](std::uint64_t seed, bool full) {
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
    for (const sim::SeedFailure& f : t.failures) {
      FailureLine line{t.name, f.seed, "", "", "", reproduce_command(t.name, f.seed, strategy, args.bugs)};
      if (f.result.finding) {
        line.checker = f.result.finding->checker;
        line.message = f.result.finding->message;
        sim::FailureRecord rec;
        rec.scenario = t.name;
        rec.seed = f.seed;
        rec.strategy = strategy;
        rec.bugs = args.bugs;
        rec.faults = scenarios::find_scenario(t.name)->options.faults;
        rec.checker = line.checker;
        rec.message = line.message;
        rec.time = f.result.finding->time;
        rec.step = f.result.finding->step;
        rec.trace_hash = f.result.trace_hash;
        rec.tape = f.result.tape;
        std::string error;
        auto path = sim::write_failure_file(args.out_dir, rec, &error);
        line.file = path ? *path : "(not written: " + error + ")";
      } else {
        line.checker = "(none)";
        line.message = "passed, but this scenario must fail";
      }
      failures.push_back(std::move(line));
    }
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
  // Seeds that failed on the path of a pinned finding, grouped by finding.
  std::map<std::string, std::pair<std::uint64_t, std::string>> pinned;  // name -> (seeds, first example)
  for (const sim::TargetSummary& t : report.targets) {
    for (const auto& [name, count_seed] : t.known_by_finding) {
      auto [it, fresh] = pinned.try_emplace(name, 0, fmt::format("{} --seed {}", t.name, count_seed.second));
      it->second.first += count_seed.first;
    }
  }
  if (!pinned.empty()) {
    fmt::print("\nseeds that reached a pinned finding (docs/findings.md; not failures):\n");
    for (const auto& [name, v] : pinned) fmt::print("  {}: {} seed(s), e.g. wbsim run {}\n", name, v.first, v.second);
  }
  const auto marks = sim::coverage_marks();
  // A mark is demanded only of sweeps that run a scenario in its scope.
  auto in_scope = [&](const sim::CoverageMark& m) {
    for (const sim::TargetSummary& t : report.targets) {
      if (scenarios::glob_match(m.scope(), t.name)) return true;
    }
    return false;
  };
  // Checker evaluations (marks named checker.NAME): always shown, so a
  // checker that never looked in this sweep is visible.
  fmt::print("\nchecker evaluations:\n");
  for (std::size_t i = 0; i < marks.size(); ++i) {
    const std::string_view name = marks[i]->name();
    if (!name.starts_with("checker.")) continue;
    std::string note;
    if (report.mark_hits[i] == 0) {
      note = in_scope(*marks[i]) ? "  never evaluated" : fmt::format("  (only {} reach it)", marks[i]->scope());
    }
    fmt::print("  {:<20} {:>12}{}\n", name.substr(8), report.mark_hits[i], note);
  }
  std::vector<const sim::CoverageMark*> unhit;
  if (args.require_coverage) {
    std::size_t name_width = 0, hits_width = 1;
    for (std::size_t i = 0; i < marks.size(); ++i) {
      name_width = std::max(name_width, std::string_view(marks[i]->name()).size());
      hits_width = std::max(hits_width, fmt::formatted_size("{}", report.mark_hits[i]));
    }
    fmt::print("\ncoverage marks:\n");
    for (std::size_t i = 0; i < marks.size(); ++i) {
      const bool required = in_scope(*marks[i]);
      if (report.mark_hits[i] == 0 && !required) {
        fmt::print("  {:>{}}  {:<{}}  {} (not required: only {} reach it)\n", "-", hits_width, marks[i]->name(),
                   name_width, marks[i]->description(), marks[i]->scope());
        continue;
      }
      fmt::print("  {:>{}}  {:<{}}  {}\n", report.mark_hits[i], hits_width, marks[i]->name(), name_width,
                 marks[i]->description());
      if (report.mark_hits[i] == 0) unhit.push_back(marks[i]);
    }
    std::size_t hit = 0;
    for (std::size_t i = 0; i < marks.size(); ++i) hit += report.mark_hits[i] > 0 ? 1 : 0;
    fmt::print("coverage: {} of {} marks hit\n", hit, marks.size());
    for (const sim::CoverageMark* m : unhit) fmt::print("FAIL coverage: mark '{}' was never hit\n", m->name());
  }
  for (const FailureLine& f : failures) {
    fmt::print("\nFAIL {} seed {}: {}: {}\n  failure file: {}\n  reproduce: {}\n", f.scenario, f.seed, f.checker,
               f.message, f.file, f.reproduce);
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

  if (!args.junit_file.empty()) {
    const bool coverage_case = args.require_coverage;
    std::string xml = fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"wbsim sweep\" "
                                  "tests=\"{}\" failures=\"{}\" time=\"{:.3f}\">\n",
                                  report.targets.size() + (coverage_case ? 1 : 0),
                                  std::count_if(report.targets.begin(), report.targets.end(),
                                                [](const auto& t) { return !t.passed; }) +
                                      (coverage_case && !unhit.empty() ? 1 : 0),
                                  report.wall_seconds);
    if (coverage_case) {
      // Coverage is a verdict of its own: a sweep failing on it must not
      // look green in the CI's test report.
      xml += "  <testcase classname=\"wbsim\" name=\"coverage\" time=\"0\">";
      if (!unhit.empty()) {
        std::string body;
        for (const sim::CoverageMark* m : unhit) body += fmt::format("mark '{}' was never hit\n", m->name());
        xml += fmt::format("<failure message=\"{} of {} marks never hit\">{}</failure>", unhit.size(), marks.size(),
                           xml_escape(body));
      }
      xml += "</testcase>\n";
    }
    for (const sim::TargetSummary& t : report.targets) {
      xml += fmt::format("  <testcase classname=\"wbsim\" name=\"{}\" time=\"{:.3f}\">", xml_escape(t.name),
                         t.busy_seconds);
      if (!t.passed) {
        std::string body;
        for (const FailureLine& f : failures) {
          if (f.scenario == t.name) body += fmt::format("seed {}: {}: {}\nreproduce: {}\n", f.seed, f.checker,
                                                        f.message, f.reproduce);
        }
        xml += fmt::format("<failure message=\"{}\">{}</failure>", xml_escape(t.verdict), xml_escape(body));
      }
      xml += "</testcase>\n";
    }
    xml += "</testsuite>\n";
    write_file_atomically(args.junit_file, xml);
  }
  auto json_marks = [&](const std::vector<std::uint64_t>& hits) {
    std::string out = "{";
    for (std::size_t i = 0; i < marks.size(); ++i)
      out += fmt::format("{}\"{}\":{}", i ? "," : "", json_escape(marks[i]->name()), hits[i]);
    return out + "}";
  };
  if (!args.json_file.empty()) {
    std::string json = fmt::format("{{\"seeds\":{},\"failing_seeds\":{},\"wall_seconds\":{:.3f},\"scenarios\":[",
                                   seeds_total, failures_total, report.wall_seconds);
    for (std::size_t i = 0; i < report.targets.size(); ++i) {
      const auto& t = report.targets[i];
      json += fmt::format("{}{{\"name\":\"{}\",\"seeds\":{},\"failures\":{},\"expected\":{},\"steps_per_s\":{:.0f},"
                          "\"passed\":{},\"verdict\":\"{}\",\"marks\":{}}}",
                          i ? "," : "", json_escape(t.name), t.seeds_run, t.unexpected, t.expected_hits,
                          steps_per_second(t), t.passed ? "true" : "false", json_escape(t.verdict),
                          json_marks(t.mark_hits));
    }
    json += "],\"failures\":[";
    for (std::size_t i = 0; i < failures.size(); ++i) {
      const auto& f = failures[i];
      json += fmt::format("{}{{\"scenario\":\"{}\",\"seed\":{},\"checker\":\"{}\",\"reproduce\":\"{}\"}}", i ? "," : "",
                          json_escape(f.scenario), f.seed, json_escape(f.checker), json_escape(f.reproduce));
    }
    json += "],\"marks\":" + json_marks(report.mark_hits) + "}\n";
    write_file_atomically(args.json_file, json);
  }
  return code;
}

}  // namespace wbsim::cli
