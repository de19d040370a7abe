// `wbsim sweep --spec FILE.toml`: sweeps composed in a file, like
// FoundationDB's test specs — which scenarios, how many seeds, which
// strategy, bugs, fault sites and parameters — run one after the other
// without recompiling anything.
//
//     seeds = 200                      # defaults for every [[test]] below
//
//     [[test]]
//     title = "stalled server, short writes"
//     scenario = ["netfs/short_write_retry", "netfs/retry_*"]
//     strategy = "pct:3"
//     fault-sites = "+server.stall,-cache.*"   # or an array of entries
//     params = { writes = 3 }
//     junit = "stalls.xml"
//
// Every test is checked (scenarios, strategy, bugs, fault sites, parameter
// names and ranges, seeds) before the first seed runs; a bad one is
// FILE:LINE: what. The command line's other flags are every test's
// defaults. The exit code is the worst of the tests'.
#include <algorithm>
#include <map>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/script.h"
#include "cli/sweep_setup.h"

namespace wbsim::cli {

namespace {

struct SpecTest {
  std::string title;
  SweepArgs args;
  std::size_t line = 0;                     // the [[test]]
  std::map<std::string, std::size_t> lines;  // key -> its line
};

std::size_t line_of(const toml::node& n) { return n.source().begin.line; }

class SpecReader {
 public:
  explicit SpecReader(std::string file) : file_(std::move(file)) {}

  std::vector<SpecTest> read(const SweepArgs& defaults) {
    toml::table root;
    try {
      root = toml::parse_file(file_);
    } catch (const toml::parse_error& e) {
      throw UsageError(fmt::format("{}:{}: {}", file_, e.source().begin.line, e.description()));
    }
    SpecTest base;
    base.args = defaults;
    base.args.spec.clear();
    const toml::array* tests = nullptr;
    for (const auto& [key, node] : root) {
      if (key.str() == "test") {
        tests = node.as_array();
        if (tests == nullptr) fail(node, "'test' must be an array of tables: [[test]]");
        continue;
      }
      apply(base, key.str(), node, /*top=*/true);
    }
    if (tests == nullptr || tests->empty()) throw UsageError(fmt::format("{}:1: no [[test]] in the spec", file_));
    std::vector<SpecTest> out;
    for (const toml::node& t : *tests) {
      const toml::table* table = t.as_table();
      if (table == nullptr) fail(t, "each test is a table: [[test]]");
      SpecTest test = base;
      test.line = line_of(t);
      for (const auto& [key, node] : *table) apply(test, key.str(), node, /*top=*/false);
      if (test.title.empty()) test.title = fmt::format("test {}", out.size() + 1);
      out.push_back(std::move(test));
    }
    return out;
  }

  [[noreturn]] void fail(const toml::node& n, const std::string& what) const {
    throw UsageError(fmt::format("{}:{}: {}", file_, line_of(n), what));
  }
  [[noreturn]] void fail_at(std::size_t line, const std::string& what) const {
    throw UsageError(fmt::format("{}:{}: {}", file_, line, what));
  }

 private:
  std::string text(const toml::node& n, std::string_view key) const {
    if (const auto* s = n.as_string()) return s->get();
    if (const auto* i = n.as_integer()) {
      if (i->get() < 0) fail(n, fmt::format("'{}' must not be negative", key));
      return std::to_string(i->get());
    }
    fail(n, fmt::format("'{}' must be a string or a whole number", key));
  }
  std::vector<std::string> list(const toml::node& n, std::string_view key) const {
    if (const auto* s = n.as_string()) return {s->get()};
    const auto* a = n.as_array();
    if (a == nullptr) fail(n, fmt::format("'{}' must be a string or an array of strings", key));
    std::vector<std::string> out;
    for (const toml::node& e : *a) {
      const auto* s = e.as_string();
      if (s == nullptr) fail(e, fmt::format("'{}' entries must be strings", key));
      out.push_back(s->get());
    }
    return out;
  }

  void apply(SpecTest& t, std::string_view key, const toml::node& n, bool top) {
    t.lines[std::string(key)] = line_of(n);
    SweepArgs& a = t.args;
    if (key == "title" && !top) {
      t.title = text(n, key);
    } else if (key == "scenario") {
      a.scenario_globs = list(n, key);
    } else if (key == "seeds") {
      a.seeds = text(n, key);
    } else if (key == "seed-base") {
      a.seed_base = text(n, key);
    } else if (key == "strategy") {
      a.strategy = text(n, key);
    } else if (key == "bugs") {
      a.bugs = list(n, key);
    } else if (key == "fault-sites") {
      std::string joined;
      for (const std::string& e : list(n, key)) joined += (joined.empty() ? "" : ",") + e;
      a.fault_sites = joined;
    } else if (key == "params") {
      const auto* table = n.as_table();
      if (table == nullptr) fail(n, "'params' must be a table: params = { name = 1 }");
      a.params.clear();
      for (const auto& [name, value] : *table) {
        const auto* v = value.as_integer();
        if (v == nullptr) fail(value, fmt::format("params.{} must be a whole number", name.str()));
        a.params.push_back(fmt::format("{}={}", name.str(), v->get()));
      }
    } else if (key == "time-limit") {
      a.time_limit = text(n, key);
    } else if (key == "junit" && !top) {
      a.junit_file = text(n, key);
    } else if (key == "json" && !top) {
      a.json_file = text(n, key);
    } else {
      fail(n, fmt::format("unknown key '{}' ({}: title, scenario, seeds, seed-base, strategy, bugs, fault-sites, "
                          "params, time-limit, junit, json)",
                          key, top ? "before the first [[test]], the defaults" : "a test's keys"));
    }
  }

  std::string file_;
};

// Everything a test's sweep checks before running, with the line of the
// key at fault.
void check_test(const SpecReader& reader, const SpecTest& t, const std::vector<std::string>& script_names) {
  auto at = [&](const char* key) {
    const auto it = t.lines.find(key);
    return it == t.lines.end() ? t.line : it->second;
  };
  auto guarded = [&](const char* key, auto&& check) {
    try {
      check();
    } catch (const UsageError& e) {
      reader.fail_at(at(key), e.what());
    }
  };
  std::vector<const scenarios::Scenario*> selected;
  guarded("scenario", [&] { selected = select_scenarios(t.args.scenario_globs.empty() ? script_names : t.args.scenario_globs); });
  guarded("strategy", [&] { parse_strategy(t.args.strategy); });
  guarded("bugs", [&] { check_bugs(t.args.bugs); });
  guarded("seeds", [&] { sweep_options(t.args); });
  guarded("fault-sites", [&] {
    if (!t.args.fault_sites.empty()) parse_fault_sites_flag(t.args.fault_sites);
  });
  guarded("params", [&] { compositions(selected, t.args); });
}

}  // namespace

int run_spec(const SweepArgs& args) {
  if (!args.junit_file.empty() || !args.json_file.empty())
    throw UsageError("--spec: --junit and --json name one sweep's report; give junit = / json = per [[test]]");
  if (!args.scenario_globs.empty()) throw UsageError("--spec: the spec names the scenarios; drop --scenario");
  const std::vector<std::string> script_names = load_scripts(args.scripts);
  SpecReader reader(args.spec);
  const std::vector<SpecTest> tests = reader.read(args);
  for (const SpecTest& t : tests) check_test(reader, t, script_names);
  int worst = kPass;
  for (std::size_t i = 0; i < tests.size(); ++i) {
    fmt::print("{}== {} ({} of {}, {}:{})\n", i == 0 ? "" : "\n", tests[i].title, i + 1, tests.size(), args.spec,
               tests[i].line);
    std::fflush(stdout);
    worst = std::max(worst, run_one_sweep(tests[i].args, script_names));
  }
  fmt::print("\nspec {}: {} test(s), {}\n", args.spec, tests.size(), worst == kPass ? "all passed" : "FAILED");
  return worst;
}

}  // namespace wbsim::cli
