// `wbsim shrink FILE`: a smaller run that fails the same way (same checker,
// same `where`), written as a failure file that replays hash for hash; the
// passes are in shrink_passes.cpp (docs/shrinking.md).
#include <fmt/format.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/script.h"
#include "cli/shrink.h"
#include "scenarios/bugs.h"
#include "scenarios/registry.h"
#include "sim/atomic_file.h"
#include "sim/failure_file.h"

namespace wbsim::cli {

namespace {

void print_row(const char* what, std::uint64_t before, std::uint64_t after) {
  fmt::print("  {:<18} {:>9} -> {:<9}{}\n", what, before, after,
             before != 0 && after < before ? fmt::format(" ({:.0f}%)", 100.0 * static_cast<double>(after) / static_cast<double>(before)) : "");
}

}  // namespace

int cmd_shrink(const ShrinkArgs& args) {
  std::string error;
  const auto rec = sim::read_failure_file(args.file, &error);
  if (!rec) throw UsageError(error);
  load_script_of(*rec, args.file);
  const scenarios::Scenario* scenario = scenarios::find_scenario(rec->scenario);
  if (scenario == nullptr) throw UsageError(fmt::format("{}:2: unknown scenario '{}' (wbsim list shows them)", args.file, rec->scenario));
  for (const std::string& b : rec->bugs) {
    if (scenarios::find_bug(b) == nullptr) throw UsageError(fmt::format("{}:5: unknown bug '{}'", args.file, b));
  }
  const scenarios::Composition composition = composition_of(*rec, *scenario, args.file);
  const ShrinkOutcome shrunk = shrink_failure(*scenario, *rec, composition, args.max_runs);
  if (!shrunk.reproduced) {
    fmt::print("HARNESS: {} does not reproduce ({} recorded; replay with `wbsim replay {}`)\n", args.file, rec->checker,
               args.file);
    return kHarness;
  }
  const sim::RunResult& a = shrunk.before;
  const sim::RunResult& b = shrunk.after;
  sim::FailureRecord out = *rec;
  out.scenario = shrunk.scenario->name;
  fill_provenance(out, *shrunk.scenario);
  fill_failure(out, b);
  record_composition(out, shrunk.composition);
  std::string path = args.out;
  if (path.empty()) {
    path = args.file;
    if (path.size() > 6 && path.ends_with(".wbsim")) path.resize(path.size() - 6);
    path += ".shrunk.wbsim";
  }
  if (!sim::write_file_atomically(path, sim::format_failure_file(out), &error))
    throw UsageError(fmt::format("-o {}: {}", path, error));
  fmt::print("shrunk {} in {} runs: {} still fires at {}\n", args.file, shrunk.runs, b.finding->checker,
             b.finding->where.empty() ? std::string("(no source location)") : b.finding->where);
  if (shrunk.scenario != scenario)
    fmt::print("  {:<18} {} -> {} (memory pressure off)\n", "scenario", scenario->name, shrunk.scenario->name);
  print_row("steps", a.steps, b.steps);
  print_row("context switches", a.switches, b.switches);
  print_row("tape choices", a.tape.size(), b.tape.size());
  print_row("fault sites on", a.fault_sites_on, b.fault_sites_on);
  print_row("faults fired", a.faults_fired, b.faults_fired);
  print_row("fibers", a.fibers, b.fibers);
  print_row("trace lines", a.trace_lines, b.trace_lines);
  for (const scenarios::Param& p : scenario->options.params) {
    const std::int64_t was = composition.param(p.name).value_or(p.value);
    const std::int64_t now = shrunk.composition.param(p.name).value_or(p.value);
    fmt::print("  {:<18} {:>9} -> {:<9}\n", fmt::format("param {}", p.name), was, now);
  }
  fmt::print("FAIL {}: {}\n", b.finding->checker, b.finding->message);
  fmt::print("shrunk failure file: {}\n", path);
  fmt::print("reproduce: {} replay {}\n", program(), path);
  return kViolated;
}

}  // namespace wbsim::cli
