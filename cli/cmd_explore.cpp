// wbsim explore SCENARIO [--preemption-bound K] [--max-schedules N]
// [--no-reduction] [--param NAME=VALUE]...: systematic search of a scenario's schedules
// (scenarios/explore.h); the first failure becomes a failure file.
#include <fmt/format.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/output_paths.h"
#include "cli/report.h"
#include "scenarios/explore.h"
#include "scenarios/registry.h"
#include "sim/failure_file.h"

namespace wbsim::cli {

int cmd_explore(const ExploreArgs& args) {
  const scenarios::Scenario& scenario = lookup_scenario(args.scenario);
  check_output_dir("--out", args.out_dir);
  scenarios::ExploreOptions options;
  options.preemption_bound = args.preemption_bound;
  options.max_schedules = args.max_schedules;
  options.reduction = !args.no_reduction;
  options.composition = compose(scenario, {}, args.params);
  const scenarios::ExploreResult x = scenarios::explore(scenario, options);
  const std::string reduction =
      x.reduced ? fmt::format("sleep sets, {} branches pruned", x.pruned)
                : (args.no_reduction ? std::string("off (--no-reduction)")
                                     : std::string("off (the scenario is not marked por_safe)"));
  if (x.failure) {
    const sim::RunResult& r = *x.failure;
    fmt::print("explore {}: {} fired in schedule {} ({} preemptions, {} steps)\n", scenario.name, r.finding->checker,
               x.schedules, x.failure_preemptions, r.steps);
    fmt::print("partial-order reduction: {}\n", reduction);
    print_finding(stdout, *r.finding, r);
    sim::FailureRecord rec;
    fill_provenance(rec, scenario);
    rec.scenario = scenario.name;
    rec.seed = x.seed;
    rec.faults = false;
    record_composition(rec, options.composition);
    fill_failure(rec, r);  // the tape holds every answer, the defaults included: a replay follows it exactly
    std::string error;
    const auto path = sim::write_failure_file(args.out_dir, rec, &error);
    if (path) {
      fmt::print("failure file: {}\nreproduce: {} replay {}\n", *path, program(), *path);
    } else {
      fmt::print(stderr, "wbsim: {}\n", error);
    }
    return kViolated;
  }
  fmt::print("explore {}: {} schedules ({} steps), preemption bound {}: {}\n", scenario.name, x.schedules, x.steps,
             args.preemption_bound,
             x.exhausted ? "the bounded space is exhausted, no checker fired"
                         : fmt::format("stopped at --max-schedules {}, {} branches left", args.max_schedules,
                                       x.branches_left));
  fmt::print("partial-order reduction: {}\n", reduction);
  return kPass;
}

}  // namespace wbsim::cli
