#include "cli/sweep_report.h"

#include <algorithm>
#include <map>
#include <string_view>

#include <fmt/format.h>

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

}  // namespace

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

std::vector<const sim::CoverageMark*> print_coverage(const sim::SweepReport& report, bool require_coverage) {
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
    fmt::print("coverage: {} of {} marks hit\n", hit, marks.size());
    for (const sim::CoverageMark* m : unhit) fmt::print("FAIL coverage: mark '{}' was never hit\n", m->name());
  }
  return unhit;
}

void write_junit(const std::string& path, const sim::SweepReport& report, const std::vector<FailureLine>& failures,
                 const std::vector<const sim::CoverageMark*>& unhit, bool coverage_case) {
  const auto marks = sim::coverage_marks();
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
  write_file_atomically(path, xml);
}

void write_json(const std::string& path, const sim::SweepReport& report, const std::vector<FailureLine>& failures) {
  const auto marks = sim::coverage_marks();
  std::uint64_t seeds_total = 0, failures_total = 0;
  for (const sim::TargetSummary& t : report.targets) {
    seeds_total += t.seeds_run;
    failures_total += t.unexpected;
  }
  auto json_marks = [&](const std::vector<std::uint64_t>& hits) {
    std::string out = "{";
    for (std::size_t i = 0; i < marks.size(); ++i)
      out += fmt::format("{}\"{}\":{}", i ? "," : "", json_escape(marks[i]->name()), hits[i]);
    return out + "}";
  };
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
  write_file_atomically(path, json);
}

}  // namespace wbsim::cli
