#include "cli/sweep_report.h"

#include <algorithm>
#include <map>
#include <string_view>

#include <fmt/format.h>

#include "build_info.h"
#include "cli/args.h"
#include "cli/report.h"
#include "scenarios/registry.h"

namespace wbsim::cli {

namespace {

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

}  // namespace

std::string wbsim_version() { return WBSIM_VERSION; }
std::string wbsim_commit() { return WBSIM_GIT_COMMIT; }

double steps_per_second(const sim::TargetSummary& t) {
  return t.busy_seconds > 0 ? static_cast<double>(t.steps) / t.busy_seconds : 0;
}

void print_pinned_findings(const sim::SweepReport& report) {
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
}

std::vector<const sim::CoverageMark*> print_coverage(const sim::SweepReport& report, bool require_coverage,
                                                     bool whole_sweep) {
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
  if (require_coverage) {
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
    fmt::print("coverage: {} of {} marks hit{}\n", hit, marks.size(), whole_sweep ? "" : " in this shard");
    // Another shard may hit what this one did not: only the merge judges.
    if (!whole_sweep && !unhit.empty()) {
      fmt::print("coverage: {} mark(s) unhit in this shard: deferred to merge\n", unhit.size());
    } else {
      for (const sim::CoverageMark* m : unhit) fmt::print("FAIL coverage: mark '{}' was never hit\n", m->name());
    }
  }
  return unhit;
}

int print_sweep_summary(const SweepOutcome& o, std::vector<const sim::CoverageMark*>& unhit) {
  const sim::SweepReport& report = o.report;
  std::size_t width = 8;
  for (const sim::TargetSummary& t : report.targets) width = std::max(width, t.name.size());
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
  const bool whole = o.identity.whole_sweep();
  unhit = print_coverage(report, o.identity.require_coverage, whole);
  // One entry per failure group: the shortest run of the seeds that failed
  // the same way (checker, where, message shape).
  for (const FailureLine& f : o.failures) {
    fmt::print("\nFAIL {} seed {}: {}: {}\n", f.scenario, f.seed, f.checker, f.message);
    if (f.group_seeds > 1)
      fmt::print("  {} seeds fail this way (first seed {}); this one is the shortest, {} steps\n", f.group_seeds,
                 f.first_seed, f.steps);
    if (f.shrunk_steps != 0)
      fmt::print("  shrunk: {} -> {} steps, the same checker at the same place{} (wbsim replay FILE)\n", f.steps,
                 f.shrunk_steps,
                 f.shrunk_scenario.empty() ? "" : fmt::format(", on {} (memory pressure off)", f.shrunk_scenario));
    fmt::print("  failure file: {}\n  reproduce: {}\n", f.file, f.reproduce);
  }
  fmt::print("\nsweep: {} scenarios, {} seeds, {} failing seeds, {} determinism re-runs, {} steps in {:.2f} s\n",
             report.targets.size(), seeds_total, failures_total, report.rechecked, steps_total, report.wall_seconds);
  if (report.time_limited) fmt::print("sweep: stopped at the time limit of {} s\n", o.time_limit_seconds);
  int code = all_passed && (unhit.empty() || !whole) ? kPass : kViolated;
  if (report.mismatch) {
    const auto& m = *report.mismatch;
    fmt::print("HARNESS: determinism leak in {} seed {}: trace hash {:016x} then {:016x}\n  first difference: {}\n",
               m.target, m.seed, m.first_hash, m.second_hash, m.first_difference);
    code = kHarness;
  }
  return code;
}

void write_junit(const std::string& path, const SweepOutcome& o, const std::vector<const sim::CoverageMark*>& unhit) {
  const sim::SweepReport& report = o.report;
  const SweepIdentity& id = o.identity;
  const bool whole = id.whole_sweep();
  const bool coverage_case = id.require_coverage;
  const bool coverage_failed = coverage_case && whole && !unhit.empty();
  // CI systems that gather every shard's file into one report key cases by
  // suite and class: each shard needs its own.
  const std::string suite =
      whole ? "wbsim sweep" : fmt::format("wbsim sweep shard {}/{}", id.shard_index, id.shard_count);
  const std::string classname = whole ? "wbsim" : fmt::format("wbsim.shard{}of{}", id.shard_index, id.shard_count);
  const auto& targets = report.targets;
  const auto failed = std::count_if(targets.begin(), targets.end(), [](const auto& t) { return !t.passed; });
  const auto skipped = std::count_if(targets.begin(), targets.end(), [](const auto& t) { return t.deferred; });
  const bool coverage_deferred = coverage_case && !whole && !unhit.empty();
  std::string xml = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" "
      "skipped=\"{}\" time=\"{:.3f}\">\n",
      xml_escape(suite), report.targets.size() + (coverage_case ? 1 : 0), failed + (coverage_failed ? 1 : 0),
      skipped + (coverage_deferred ? 1 : 0), report.wall_seconds);
  if (coverage_case) {
    // Coverage is a verdict of its own: a sweep failing on it must not
    // look green in the CI's test report.
    xml += fmt::format("  <testcase classname=\"{}\" name=\"coverage\" time=\"0\">", classname);
    std::string body;
    for (const sim::CoverageMark* m : unhit) body += fmt::format("mark '{}' was never hit\n", m->name());
    if (coverage_failed) {
      xml += fmt::format("<failure message=\"{} of {} marks never hit\">{}</failure>", unhit.size(),
                         sim::coverage_marks().size(), xml_escape(body));
    } else if (coverage_deferred) {
      xml += fmt::format("<skipped message=\"{} mark(s) unhit in this shard: deferred to merge\"/>", unhit.size());
    }
    xml += "</testcase>\n";
  }
  for (const sim::TargetSummary& t : report.targets) {
    xml += fmt::format("  <testcase classname=\"{}\" name=\"{}\" time=\"{:.3f}\">", classname, xml_escape(t.name),
                       t.busy_seconds);
    if (t.deferred) xml += fmt::format("<skipped message=\"{}\"/>", xml_escape(t.verdict));
    if (!t.passed) {
      std::string body;
      for (const FailureLine& f : o.failures) {
        if (f.scenario == t.name) body += fmt::format("seed {}: {}: {}\nreproduce: {}\n", f.seed, f.checker,
                                                      f.message, f.reproduce);
      }
      xml += fmt::format("<failure message=\"{}\">{}</failure>", xml_escape(t.verdict), xml_escape(body));
    }
    xml += "</testcase>\n";
  }
  xml += "</testsuite>\n";
  write_file_atomically(path, xml);
}

}  // namespace wbsim::cli
