//! Scenario registration and the scenario context.
//!
//! A scenario is a short C++ script that registers itself under a name:
//!
//!     WBSIM_SCENARIO(abba, "canary/abba_deadlock",
//!                    .expect = sim::Expect::fail_always, .expect_checker = "deadlock") {
//!       sim::Mutex a{"a"}, b{"b"};
//!       s.spawn("left", [&] { ... });
//!       s.run();
//!     }
//!
//! The body runs on the host: it builds the world, spawns fibers, and calls
//! s.run() for each phase. Registrations are static objects in an OBJECT
//! library (so the linker cannot drop them); duplicate names abort start-up,
//! and a test compares the registered count with the scenario files. A
//! script's scenarios register when wbsim loads its shared object.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <source_location>
#include <string>
#include <string_view>
#include <vector>

#include "scenarios/composition.h"
#include "scenarios/glob.h"
#include "sim/run.h"
#include "sim/scheduler.h"
#include "sim/sweep.h"

namespace wbsim::model {
class Observer;
class World;
enum class DioPolicy : std::uint8_t;
}
namespace wbsim::checkers {
class Suite;
}

namespace wbsim::scenarios {

struct ScenarioOptions {
  sim::Expect expect = sim::Expect::pass;
  const char* expect_checker = "";
  bool faults = true;                       // swarm faults in the safety phase
  std::uint64_t step_budget = 1'000'000;    // livelock bound per run
  sim::Time time_budget = 600 * sim::kSec;  // virtual
  std::uint32_t pct_steps_hint = 200;       // scheduling choices per run, roughly
  sim::Time liveness_budget = 120 * sim::kSec;  // virtual: healing to drained
  bool strict_extension = false;            // ordered-extension's strict mode
  // Every World of the run under model::MemoryPressure (kswapd, kcompactd,
  // a tight page budget, small mempools). Set on the mm/pressure/* copies
  // the registry makes of every netfs scenario.
  bool memory_pressure = false;
  // Named variants (bug switches, comma-separated) every run of the
  // scenario takes: a scenario about a historical behaviour runs it.
  const char* variants = "";
  // Swarm fault sites kept off (comma-separated): the site would reach a
  // pinned finding the scenario is not about (it names the finding).
  const char* fault_sites_off = "";
  // Checkers kept off (comma-separated): the property is a pinned finding
  // another scenario shows, and this one is about what comes after it.
  const char* checkers_off = "";
  const char* why = "";                     // one line for `wbsim list --long`
  // `wbsim explore` may use its partial-order reduction (scenarios/explore.h):
  // the fibers share plain memory only in ways the sim objects order — every
  // plain variable two fibers touch, one of them writing, is touched only
  // under a sim lock that excludes the other, or by increments and
  // decrements that commute, or read in a wait_event condition (a step that
  // depends on every other). Set only on scenarios checked by hand.
  bool por_safe = false;
  // The direct I/O coherency design of the run's local files (model/dio;
  // the dio/DESIGN/* scenarios); `--dio-policy` overrides it.
  std::uint8_t dio_policy = 0;
  // The workload's knobs (composition.h): sizes, counts and offsets the
  // body reads with s.param(NAME); `--param` sets them, the shrinker lowers
  // them. Their defaults are the scenario's own workload.
  std::vector<Param> params;
};

class Context {
 public:
  Context(sim::Scheduler& sched, const std::vector<std::string>& bugs, checkers::Suite& suite,
          const ScenarioOptions& options, const Composition& composition)
      : sched_(sched), bugs_(bugs), suite_(suite), options_(options), composition_(composition) {}
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  sim::Scheduler& sched() { return sched_; }
  sim::FiberId spawn(std::string name, std::function<void()> body,
                     std::source_location loc = std::source_location::current()) {
    return sched_.spawn(std::move(name), std::move(body), loc);
  }
  // One phase: runs until quiescence; a finding ends the scenario.
  void run() { sched_.run(); }
  // The liveness phase every scenario with a World ends with: faults
  // healed, every file synced, the flusher stopped, all within the
  // scenario's liveness budget; then every checker's verdict on the
  // quiescent world. A scenario that builds a World and returns without it
  // fails.
  void liveness_phase(model::World& w);
  bool bug(std::string_view name) const;
  // A declared parameter's value: the run's `--param`, else its default.
  // Reading an undeclared one is the scenario's bug (an assertion).
  std::int64_t param(std::string_view name) const;
  // A workload loop over a count parameter: `for (i = 0; s.more("writes",
  // i); ++i)`. Seeded runs do param("writes") iterations; each iteration's
  // "go on" is a decision on the tape (sim::Scheduler::decide), so the
  // shrinker can drop one iteration out of the middle (delta debugging on
  // the tape drops its decision with its draws) or end the loop early (a
  // decision the tape does not give is "stop"), as Hypothesis shrinks a
  // drawn list. Never more than the parameter's value.
  bool more(std::string_view name, std::int64_t i);
  // A checker of the scenario's own: `o` hears every model event of the
  // run (model/events.h), after the built-in checkers, until the scenario
  // returns; it fails the run with SIM_CHECK("NAME", ...). It must live as
  // long as the scenario's body.
  void observe(model::Observer& o);

 private:
  sim::Scheduler& sched_;
  const std::vector<std::string>& bugs_;
  checkers::Suite& suite_;
  const ScenarioOptions& options_;
  const Composition& composition_;
  std::vector<model::Observer*> added_;  // by observe(), removed at the end
};

using ScenarioFn = void (*)(Context&);

struct Scenario {
  std::string name;
  ScenarioOptions options;
  ScenarioFn fn;
  std::string file;
  // A scenario from a script loaded at run time (wbsim run --script): the
  // script's absolute path and the hash of its contents; empty otherwise.
  std::string script;
  std::string script_hash;
  // An mm/pressure/* copy: the name of the scenario it copies (the same
  // body without memory pressure); empty otherwise. The shrinker tries it.
  std::string pressure_base;
};

// The options that shape a scenario's runs, one line (failure files record it).
std::string describe_options(const ScenarioOptions& o);

// Every registered scenario, sorted by name. Scenarios registered later
// (a script's shared object, loaded between begin_script and end_script)
// join the list, which stays sorted by name; call again for the new list.
const std::vector<const Scenario*>& all_scenarios();
// Registrations between these two calls come from `script` (its absolute
// path and content hash). end_script returns the names registered, or sets
// *error when one of them was registered before.
void begin_script(std::string script, std::string script_hash);
std::vector<std::string> end_script(std::string* error);
const Scenario* find_scenario(std::string_view name);
// Scenarios whose name matches the glob (`*` matches any run, `?` one char).
std::vector<const Scenario*> match_scenarios(std::string_view glob);

struct Registrar {
  Registrar(const char* name, ScenarioOptions options, ScenarioFn fn,
            std::source_location loc = std::source_location::current());
};

#define WBSIM_SCENARIO(ident, name, ...)                                                \
  static void ident(::wbsim::scenarios::Context& s);                                    \
  static const ::wbsim::scenarios::Registrar ident##_registrar{                         \
      name, ::wbsim::scenarios::ScenarioOptions{__VA_ARGS__}, ident};                   \
  static void ident([[maybe_unused]] ::wbsim::scenarios::Context& s)

// How to run one scenario once.
struct RunRequest {
  std::uint64_t seed = 1;
  sim::StrategySpec strategy;
  std::vector<std::string> bugs;
  bool keep_full_trace = false;
  bool passing_details = true;             // sim::SchedulerConfig::passing_details
  const sim::Tape* replay_tape = nullptr;  // with strategy kind replay
  std::optional<bool> faults;              // default: the scenario's own
  std::string crash_context;
  std::optional<std::uint8_t> dio_policy;  // --dio-policy (a model::DioPolicy)
  bool all_checkers = false;               // ignore the scenario's checkers_off (wbsim dio-table)
  // Nonzero: the run ends (livelock) past this many steps, if that is below
  // the scenario's own budget. The shrinker's: a candidate longer than the
  // best run so far is of no use, and a default schedule can spin.
  std::uint64_t step_cap = 0;
  // What each step acted on (RunResult::footprints), for explore's partial-order reduction.
  bool record_footprints = false;
  // `--fault-sites` and `--param`, checked by the caller (composition.h).
  Composition composition;
};

sim::RunResult run_scenario(const Scenario& scenario, const RunRequest& request);

}  // namespace wbsim::scenarios
