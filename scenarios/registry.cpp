#include "scenarios/registry.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <deque>

#include "checkers/suite.h"
#include "model/events.h"
#include "model/dio/local.h"
#include "model/world.h"
#include "scenarios/bugs.h"
#include "sim/fault.h"
#include "sim/assert.h"

namespace wbsim::scenarios {

namespace {

// Deques, not vectors: all_scenarios() hands out pointers into them, and a
// script's registrations append after it has (addresses must not move).
struct Registry {
  std::deque<Scenario> scenarios;  // filled by static initialisers and loaded scripts
  std::deque<Scenario> derived;    // the mm/pressure/* copies, made when sealed
  std::size_t derived_from = 0;    // scenarios[0, derived_from) have their copies
  std::vector<const Scenario*> sorted;
  bool sealed = false;             // `sorted` is up to date
  // While a script loads (begin_script .. end_script): its path and hash,
  // the names it registered, and the first name it registered twice.
  bool in_script = false;
  std::string script, script_hash;
  std::vector<std::string> script_names;
  std::string script_error;
};

Registry& registry() {
  static Registry r;
  return r;
}

const Scenario* find_registered(const Registry& r, std::string_view name) {
  for (const Scenario& s : r.scenarios) {
    if (s.name == name) return &s;
  }
  for (const Scenario& s : r.derived) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

}  // namespace

namespace {

// A declaration's mistake: a default outside its range, a name twice.
std::string bad_params(const char* scenario, const std::vector<Param>& params) {
  for (std::size_t i = 0; i < params.size(); ++i) {
    const Param& p = params[i];
    if (*p.name == '\0' || p.min > p.max || p.value < p.min || p.value > p.max)
      return fmt::format("scenario '{}': parameter '{}' has default {} outside [{}, {}]", scenario, p.name, p.value,
                         p.min, p.max);
    for (std::size_t j = 0; j < i; ++j) {
      if (std::string_view(params[j].name) == p.name)
        return fmt::format("scenario '{}': parameter '{}' declared twice", scenario, p.name);
    }
  }
  return {};
}

}  // namespace

Registrar::Registrar(const char* name, ScenarioOptions options, ScenarioFn fn, std::source_location loc) {
  Registry& r = registry();
  if (const std::string bad = bad_params(name, options.params); !bad.empty()) {
    if (r.in_script) {
      if (r.script_error.empty()) r.script_error = bad;
      return;
    }
    std::fprintf(stderr, "wbsim: %s\n", bad.c_str());
    std::abort();
  }
  if (r.in_script) {
    // A name taken already is the script's mistake: reported by end_script
    // (exit 2), not an abort.
    if (const Scenario* other = find_registered(r, name)) {
      if (r.script_error.empty())
        r.script_error = fmt::format("scenario '{}' is registered already (by {})", name, other->file);
      return;
    }
    r.scenarios.push_back(Scenario{name, options, fn, loc.file_name(), r.script, r.script_hash});
    r.script_names.emplace_back(name);
    r.sealed = false;
    return;
  }
  if (r.sealed) {
    std::fprintf(stderr, "wbsim: scenario '%s' registered after start-up\n", name);
    std::abort();
  }
  r.scenarios.push_back(Scenario{name, options, fn, loc.file_name(), {}, {}});
}

void begin_script(std::string script, std::string script_hash) {
  Registry& r = registry();
  all_scenarios();  // the built-in registrations first, checked for duplicates
  r.in_script = true;
  r.script = std::move(script);
  r.script_hash = std::move(script_hash);
  r.script_names.clear();
  r.script_error.clear();
}

std::vector<std::string> end_script(std::string* error) {
  Registry& r = registry();
  r.in_script = false;
  *error = std::move(r.script_error);
  r.script_error.clear();
  return std::move(r.script_names);
}

std::string describe_options(const ScenarioOptions& o) {
  std::string out = fmt::format("faults={} step-budget={} time-budget-ns={} liveness-budget-ns={} pct-steps={}",
                                o.faults ? "on" : "off", o.step_budget, o.time_budget, o.liveness_budget,
                                o.pct_steps_hint);
  if (o.expect != sim::Expect::pass)
    out += fmt::format(" expect={}:{}", o.expect == sim::Expect::fail_always ? "always" : "some", o.expect_checker);
  if (o.memory_pressure) out += " memory-pressure";
  if (o.strict_extension) out += " strict-extension";
  if (*o.variants != '\0') out += fmt::format(" variants={}", o.variants);
  if (*o.fault_sites_off != '\0') out += fmt::format(" fault-sites-off={}", o.fault_sites_off);
  if (*o.checkers_off != '\0') out += fmt::format(" checkers-off={}", o.checkers_off);
  if (o.dio_policy != 0) out += fmt::format(" dio-policy={}", o.dio_policy);
  return out;
}

const std::vector<const Scenario*>& all_scenarios() {
  Registry& r = registry();
  if (!r.sealed) {
    r.sealed = true;
    // Every netfs scenario runs a second time as mm/pressure/NAME: the same
    // script with reclaim, compaction and mempool pressure underneath.
    // The dio/* scenarios get theirs as mm/pressure/dio/DESIGN/NAME.
    // Copies are made once per scenario, also for those a script adds.
    constexpr std::string_view kNetfs = "netfs/";
    constexpr std::string_view kDio = "dio/";
    for (; r.derived_from < r.scenarios.size(); ++r.derived_from) {
      const Scenario& s = r.scenarios[r.derived_from];
      const bool netfs = s.name.compare(0, kNetfs.size(), kNetfs) == 0;
      if (!netfs && s.name.compare(0, kDio.size(), kDio) != 0) continue;
      Scenario copy = s;
      copy.name = "mm/pressure/" + (netfs ? s.name.substr(kNetfs.size()) : s.name);
      copy.options.memory_pressure = true;
      copy.pressure_base = s.name;
      r.derived.push_back(std::move(copy));
    }
    // Sorted by name whatever the order of registration (static
    // initialisation order, scripts loaded later): runs, sweeps and
    // listings must not depend on it.
    r.sorted.clear();
    for (const Scenario& s : r.scenarios) r.sorted.push_back(&s);
    for (const Scenario& s : r.derived) r.sorted.push_back(&s);
    std::sort(r.sorted.begin(), r.sorted.end(), [](auto* a, auto* b) { return a->name < b->name; });
    for (std::size_t i = 1; i < r.sorted.size(); ++i) {
      if (r.sorted[i - 1]->name == r.sorted[i]->name) {
        std::fprintf(stderr, "wbsim: scenario '%s' registered twice (%s, %s)\n", r.sorted[i]->name.c_str(),
                     r.sorted[i - 1]->file.c_str(), r.sorted[i]->file.c_str());
        std::abort();
      }
    }
  }
  return r.sorted;
}

const Scenario* find_scenario(std::string_view name) {
  for (const Scenario* s : all_scenarios()) {
    if (s->name == name) return s;
  }
  return nullptr;
}

std::vector<const Scenario*> match_scenarios(std::string_view glob) {
  std::vector<const Scenario*> out;
  for (const Scenario* s : all_scenarios()) {
    if (glob_match(glob, s->name)) out.push_back(s);
  }
  return out;
}

namespace {

std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> out;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    out.emplace_back(list.substr(0, comma));
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return out;
}

const sim::FaultSite* find_fault_site(std::string_view name) {
  for (const sim::FaultSite* s : sim::fault_sites()) {
    if (name == s->name()) return s;
  }
  return nullptr;
}

}  // namespace

Context::~Context() {
  auto& all = suite_.observers();
  for (model::Observer* o : added_) all.erase(std::find(all.begin(), all.end(), o));
}

void Context::observe(model::Observer& o) {
  suite_.observers().push_back(&o);
  added_.push_back(&o);
}

std::int64_t Context::param(std::string_view name) const {
  for (const Param& p : options_.params) {
    if (name == p.name) return composition_.param(name).value_or(p.value);
  }
  SIM_ASSERT_MSG(false, "the scenario reads parameter '{}', which it does not declare", name);
  return 0;
}

bool Context::more(std::string_view name, std::int64_t i) {
  if (i >= param(name)) return false;
  return sched_.decide(2, 1) == 1;
}

void Context::liveness_phase(model::World& w) { suite_.liveness_phase(sched_, w, options_.liveness_budget); }

bool Context::bug(std::string_view name) const {
  return std::find(bugs_.begin(), bugs_.end(), name) != bugs_.end();
}

sim::RunResult run_scenario(const Scenario& scenario, const RunRequest& request) {
  sim::SchedulerConfig config;
  config.seed = request.seed;
  config.strategy = request.strategy;
  config.replay_tape = request.replay_tape;
  config.pct_steps_hint = scenario.options.pct_steps_hint;
  config.step_budget = scenario.options.step_budget;
  if (request.step_cap != 0) config.step_budget = std::min(config.step_budget, request.step_cap);
  config.time_budget = scenario.options.time_budget;
  config.keep_full_trace = request.keep_full_trace;
  config.passing_details = request.passing_details;
  config.record_footprints = request.record_footprints;
  config.bugs = request.bugs;
  config.fault_modes = fault_site_modes(request.composition.fault_sites);
  for (const std::string& v : split_list(scenario.options.variants)) {
    if (std::find(config.bugs.begin(), config.bugs.end(), v) == config.bugs.end()) config.bugs.push_back(v);
  }
  const bool faults = request.faults.value_or(scenario.options.faults);
  return sim::run_simulation(
      config, faults,
      [&](sim::Scheduler& sched) {
        checkers::Suite suite({.strict_extension = scenario.options.strict_extension});
        model::ObserverScope scope(suite.observers());
        Context ctx(sched, request.bugs, suite, scenario.options, request.composition);
        static const model::MemoryPressure kPressure;
        model::MemoryPressureScope pressure(scenario.options.memory_pressure ? &kPressure : nullptr);
        const auto policy = static_cast<model::DioPolicy>(request.dio_policy.value_or(scenario.options.dio_policy));
        model::DioPolicyScope dio_policy(&policy);
        for (const std::string& name : split_list(scenario.options.fault_sites_off)) {
          const sim::FaultSite* site = find_fault_site(name);
          SIM_ASSERT_MSG(site != nullptr, "scenario {}: unknown fault site '{}'", scenario.name, name);
          // `--fault-sites +SITE` is the user's explicit choice over the
          // scenario's: the site stays on.
          if (site->index() < config.fault_modes.size() && config.fault_modes[site->index()] > 0) continue;
          sched.faults().disable(*site);
        }
        for (const std::string& name : split_list(request.all_checkers ? "" : scenario.options.checkers_off)) {
          const sim::CoverageMark* mark = nullptr;
          for (const sim::CoverageMark* m : sim::coverage_marks()) {
            if (std::string_view(m->name()) == "checker." + name) mark = m;
          }
          SIM_ASSERT_MSG(mark != nullptr, "scenario {}: unknown checker '{}'", scenario.name, name);
          sched.set_checker_off(mark->index());
        }
        scenario.fn(ctx);
        SIM_CHECK("liveness", suite.worlds_without_liveness() == 0,
                  "the scenario built a World and ended without its liveness phase");
      },
      request.crash_context);
}

}  // namespace wbsim::scenarios
