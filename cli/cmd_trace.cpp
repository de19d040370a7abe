// wbsim trace FILE [--filter fiber=NAME,obj=TEXT,kind=SYMBOL]: a failure
// file's run replayed and its whole trace printed, or the lines that match.
// Filters on different keys must all match; a key given twice matches
// either value. fiber= matches the fiber's name or id, obj= a part of the
// object's name, kind= the event symbol.
#include <map>
#include <set>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "sim/trace.h"

namespace wbsim::cli {

namespace {

using Filters = std::map<std::string, std::set<std::string>>;

Filters parse_filters(const std::string& text) {
  Filters filters;
  std::string_view rest = text;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    const std::size_t eq = item.find('=');
    const std::string key(item.substr(0, eq));
    if (eq == std::string_view::npos || eq + 1 == item.size())
      throw UsageError(fmt::format("--filter: '{}' is not KEY=VALUE (fiber=, obj=, kind=)", item));
    if (key != "fiber" && key != "obj" && key != "kind")
      throw UsageError(fmt::format("--filter: unknown key '{}' in '{}' (fiber, obj, kind)", key, item));
    filters[key].insert(std::string(item.substr(eq + 1)));  // a value may hold '=' (obj=R=3)
  }
  return filters;
}

std::string trimmed(const char* symbol) {
  std::string s = symbol;
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

bool matches(const Filters& filters, const sim::TraceRecord& t, const sim::RunResult& r) {
  for (const auto& [key, values] : filters) {
    bool any = false;
    for (const std::string& v : values) {
      if (key == "fiber") {
        const auto it = r.fiber_names.find(t.fiber);
        any |= t.fiber != sim::kNoFiber && (v == std::to_string(t.fiber) || (it != r.fiber_names.end() && it->second == v));
      } else if (key == "obj") {
        const auto it = r.object_names.find(t.object);
        any |= it != r.object_names.end() && it->second.find(v) != std::string::npos;
      } else {
        any |= trimmed(sim::reason_symbol(t.reason)) == v;
      }
    }
    if (!any) return false;
  }
  return true;
}

}  // namespace

int cmd_trace(const TraceArgs& args) {
  const Filters filters = parse_filters(args.filter);
  const ReplayedFile replayed = replay_with_full_trace(args.file);
  const sim::RunResult& r = replayed.result;
  fmt::print("{} seed {}{}\n", replayed.scenario, replayed.seed,
             r.finding ? fmt::format(": {} fired at step {}", r.finding->checker, r.steps) : std::string());
  fmt::print("{}\n", sim::format_trace_header());
  std::size_t shown = 0;
  for (std::size_t i = 0; i < r.trace_records.size(); ++i) {
    if (!matches(filters, r.trace_records[i], r)) continue;
    fmt::print("{}\n", r.trace_all[i]);
    ++shown;
  }
  fmt::print("{} of {} trace lines\n", shown, r.trace_records.size());
  return kPass;
}

}  // namespace wbsim::cli
