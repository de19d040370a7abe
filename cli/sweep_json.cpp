#include "cli/sweep_json.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "sim/assert.h"

namespace wbsim::cli {

namespace {

using Json = nlohmann::ordered_json;  // keys in insertion order: the same sweep, the same bytes

constexpr const char* kFormat = "wbsim-sweep-report 1";

const char* expect_name(sim::Expect e) {
  switch (e) {
    case sim::Expect::pass: return "pass";
    case sim::Expect::fail_always: return "fail_always";
    case sim::Expect::fail_sometimes: return "fail_sometimes";
  }
  SIM_ASSERT(false);
  return "";
}

Json shard_json(const SweepIdentity& id) { return Json{{"index", id.shard_index}, {"count", id.shard_count}}; }

Json marks_json(const std::vector<std::uint64_t>& hits) {
  const auto marks = sim::coverage_marks();
  Json out = Json::object();
  for (std::size_t i = 0; i < marks.size() && i < hits.size(); ++i) out[marks[i]->name()] = hits[i];
  return out;
}

Json target_json(const SweepIdentity& id, const sim::TargetSummary& t) {
  Json pinned = Json::object();
  for (const auto& [name, count_seed] : t.known_by_finding)
    pinned[name] = Json{{"seeds", count_seed.first}, {"first_seed", count_seed.second}};
  return Json{{"name", t.name},
              {"shard", shard_json(id)},
              {"expect", expect_name(t.expect)},
              {"expect_checker", t.expect_checker},
              {"seeds", t.seeds_run},
              {"failures", t.unexpected},
              {"expected", t.expected_hits},
              {"steps", t.steps},
              {"busy_seconds", t.busy_seconds},
              {"steps_per_s", static_cast<std::uint64_t>(steps_per_second(t))},
              {"known", t.known},
              {"pinned", std::move(pinned)},
              {"passed", t.passed},
              {"deferred", t.deferred},
              {"verdict", t.verdict},
              {"marks", marks_json(t.mark_hits)}};
}

// A failure group's kept run, with what a failure file records of where it
// came from; `shard` is the shard that ran it, in a merged report too.
Json failure_json(const SweepIdentity& id, const FailureLine& f) {
  return Json{{"scenario", f.scenario},
              {"seed", f.seed},
              {"strategy", id.strategy},
              {"bugs", id.bugs},
              {"shard", Json{{"index", f.shard_index}, {"count", f.shard_count}}},
              {"seed_base", id.seed_base},
              {"wbsim_version", id.wbsim_version},
              {"commit", id.commit},
              {"shape", f.shape},
              {"group_seeds", f.group_seeds},
              {"first_seed", f.first_seed},
              {"steps", f.steps},
              {"checker", f.checker},
              {"message", f.message},
              {"file", f.file},
              {"reproduce", f.reproduce},
              {"shrunk_steps", f.shrunk_steps},
              {"shrunk_scenario", f.shrunk_scenario}};
}

}  // namespace

std::string sweep_json(const SweepOutcome& o) {
  const SweepIdentity& id = o.identity;
  std::uint64_t seeds_total = 0, failures_total = 0;
  Json scenarios = Json::array();
  for (const sim::TargetSummary& t : o.report.targets) {
    seeds_total += t.seeds_run;
    failures_total += t.unexpected;
    scenarios.push_back(target_json(id, t));
  }
  Json failures = Json::array();
  for (const FailureLine& f : o.failures) failures.push_back(failure_json(id, f));
  Json mismatch = nullptr;
  if (o.report.mismatch) {
    const sim::DeterminismMismatch& m = *o.report.mismatch;
    mismatch = Json{{"scenario", m.target},
                    {"seed", m.seed},
                    {"first_hash", m.first_hash},
                    {"second_hash", m.second_hash},
                    {"first_difference", m.first_difference}};
  }
  const Json j{{"format", kFormat},
               {"wbsim_version", id.wbsim_version},
               {"commit", id.commit},
               {"strategy", id.strategy},
               {"seeds_per_scenario", id.seeds},
               {"seed_base", id.seed_base},
               {"shard", shard_json(id)},
               {"bugs", id.bugs},
               {"require_coverage", id.require_coverage},
               {"fault_sites", id.fault_sites},
               {"params", id.params},
               {"seeds", seeds_total},
               {"failing_seeds", failures_total},
               {"rechecked", o.report.rechecked},
               {"time_limit_seconds", o.time_limit_seconds},
               {"time_limited", o.report.time_limited},
               {"wall_seconds", o.report.wall_seconds},
               {"scenarios", std::move(scenarios)},
               {"failures", std::move(failures)},
               {"marks", marks_json(o.report.mark_hits)},
               {"determinism_mismatch", std::move(mismatch)}};
  return j.dump() + "\n";
}

void write_sweep_json(const std::string& path, const SweepOutcome& o) { write_file_atomically(path, sweep_json(o)); }

}  // namespace wbsim::cli
