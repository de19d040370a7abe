// wbsim dio-table: docs/dio.md's design x property table, computed from
// sweeps of every dio/DESIGN/* scenario with every checker on (a scenario's
// checkers_off is ignored here: the table shows each property raw).
#include <algorithm>
#include <map>
#include <thread>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "model/dio/local.h"
#include "scenarios/registry.h"
#include "sim/sweep.h"

namespace wbsim::cli {

namespace {

struct Property {
  const char* id;
  const char* checker;
};
constexpr Property kProperties[] = {
    {"D1 exclusion", "dio-exclusion"},          {"D2 fresh cache", "dio-fresh-cache"},
    {"D3 no re-add", "dio-readd-window"},       {"D4 no gup self-deadlock", "dio-gup-self-deadlock"},
    {"D5 no starvation", "dio-starvation"},     {"data integrity", "dio-data-integrity"},
    {"other checkers", ""},
};

bool known_property(const std::string& checker) {
  for (const Property& p : kProperties) {
    if (checker == p.checker) return true;
  }
  return false;
}

}  // namespace

int cmd_dio_table(const DioTableArgs& args) {
  const std::uint64_t seeds = parse_seed("--seeds", args.seeds);
  if (seeds == 0) throw UsageError("--seeds 0: nothing to sweep");
  fmt::print("| design |");
  for (const Property& p : kProperties) fmt::print(" {} |", p.id);
  fmt::print("\n|---|");
  for (std::size_t i = 0; i < std::size(kProperties); ++i) fmt::print("---|");
  fmt::print("\n");
  for (model::DioPolicy policy : model::kDioPolicies) {
    const std::string glob = fmt::format("dio/{}/*", model::dio_policy_name(policy));
    std::vector<sim::SweepTarget> targets;
    for (const scenarios::Scenario* s : scenarios::match_scenarios(glob)) {
      sim::SweepTarget t;
      t.name = s->name;
      t.run = [s](std::uint64_t seed, bool keep) {
        scenarios::RunRequest req;
        req.seed = seed;
        req.keep_full_trace = keep;
        req.all_checkers = true;
        return scenarios::run_scenario(*s, req);
      };
      targets.push_back(std::move(t));
    }
    sim::SweepOptions options;
    options.seeds = seeds;
    options.jobs = args.jobs != 0 ? args.jobs : std::max(1u, std::thread::hardware_concurrency());
    options.keep_failures = seeds;  // every failing seed: the table names the first per property
    const sim::SweepReport report = sim::run_sweep(targets, options, {});
    // checker -> (first seed, scenario) and how many seeds
    std::map<std::string, std::pair<std::uint64_t, std::string>> first;
    std::map<std::string, std::uint64_t> count;
    std::uint64_t runs = 0;
    for (const sim::TargetSummary& t : report.targets) {
      runs += t.seeds_run;
      for (const sim::SeedFailure& f : t.failures) {
        if (!f.result.finding) continue;
        std::string checker = f.result.finding->checker;
        if (!known_property(checker)) checker = "";
        ++count[checker];
        auto it = first.find(checker);
        if (it == first.end() || f.seed < it->second.first) first[checker] = {f.seed, t.name};
      }
    }
    fmt::print("| {} |", model::dio_policy_name(policy));
    for (const Property& p : kProperties) {
      if (policy != model::DioPolicy::netfs && std::string_view(p.checker) == "dio-exclusion") {
        fmt::print(" n/a (not claimed) |");
        continue;
      }
      const auto it = first.find(p.checker);
      if (it == first.end()) {
        fmt::print(" holds |");
      } else {
        fmt::print(" **violated** ({} of {} runs): `wbsim run {} --seed {}` |", count[p.checker], runs,
                   it->second.second, it->second.first);
      }
    }
    fmt::print("\n");
  }
  return kPass;
}

}  // namespace wbsim::cli
