#include "cli/report.h"

#include <fmt/format.h>

#include "sim/known_finding.h"

namespace wbsim::cli {

namespace {
constexpr std::size_t kTailLines = 24;
}

std::string format_virtual_time(sim::Time t) {
  return fmt::format("{}.{:09} s", t / sim::kSec, t % sim::kSec);
}

std::string format_rate(double v) {
  if (v >= 1e9) return fmt::format("{:.1f}G", v / 1e9);
  if (v >= 1e6) return fmt::format("{:.1f}M", v / 1e6);
  if (v >= 1e3) return fmt::format("{:.1f}k", v / 1e3);
  return fmt::format("{:.0f}", v);
}

void print_finding(std::FILE* out, const sim::Finding& f, const sim::RunResult& r) {
  fmt::print(out, "FAIL {}: {}\n", f.checker, f.message);
  fmt::print(out, "  at virtual time {}, step {}, fiber {}\n", format_virtual_time(f.time), f.step,
             f.fiber == sim::kNoFiber ? std::string("host") : fmt::format("{} '{}'", f.fiber, f.fiber_name));
  if (!f.where.empty())
    fmt::print(out, "  where: {}{}\n", f.where, f.scenario_where.empty() ? "" : fmt::format("; its fiber descends from the one spawned at {}", f.scenario_where));
  else if (!f.scenario_where.empty())
    fmt::print(out, "  where: no source line; its fiber descends from the one spawned at {}\n", f.scenario_where);
  if (const sim::KnownFinding* k = sim::explaining_finding(f.checker, r.mark_hits))
    fmt::print(out, "  pinned: this run took the path of the finding {} (docs/findings.md)\n", k->name());
  if (!f.details.empty()) {
    fmt::print(out, "{}\n", f.checker == "deadlock" ? "wait-for chain:" : "details:");
    fmt::print(out, "{}", f.details);
  }
  const std::size_t n = std::min(kTailLines, r.trace_tail.size());
  if (n > 0) {
    fmt::print(out, "last {} of {} trace lines:\n  {}\n", n, r.trace_lines, sim::format_trace_header());
    for (std::size_t i = r.trace_tail.size() - n; i < r.trace_tail.size(); ++i) {
      fmt::print(out, "  {}\n", r.trace_tail[i]);
    }
  }
}

}  // namespace wbsim::cli
