// `wbsim merge OUT.json SHARD.json...`: a sharded sweep judged as one.
//
// Each shard's JSON report (cli/sweep_json.h) carries the aggregates its
// verdicts are made from; summed over every shard they are the aggregates
// of the unsharded sweep, so judging them with the same rule
// (sim::judge_target) gives the unsharded verdicts: a checker expected on
// some seed may have fired in one shard only, a coverage mark may be hit in
// one shard only. Failure groups are joined by scenario and shape: seeds
// add up, the first seed is the lowest, the kept run the shortest (ties to
// the lower seed), and the first groups by first seed are kept, as a sweep
// keeps them. A shard keeps every group for this (cmd_sweep.cpp), so no
// group the union keeps can be missing.
//
// What is not merged: throughput (steps/s sums busy time over shards) and
// the wall time, which is the longest shard's.
#include <algorithm>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/sweep_json.h"
#include "cli/sweep_report.h"

namespace wbsim::cli {

namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : ",") + s;
  return out.empty() ? "(none)" : out;
}

// Why `b` is not a shard of the same sweep as `a`, or "".
std::string difference(const SweepIdentity& a, const SweepIdentity& b) {
  if (a.scenarios != b.scenarios) {
    std::size_t i = 0;
    while (i < a.scenarios.size() && i < b.scenarios.size() && a.scenarios[i] == b.scenarios[i]) ++i;
    const auto name = [i](const std::vector<std::string>& v) { return i < v.size() ? v[i] : "(end)"; };
    return fmt::format("scenarios differ ({} vs {}; at #{}: '{}' vs '{}')", b.scenarios.size(), a.scenarios.size(),
                       i + 1, name(b.scenarios), name(a.scenarios));
  }
  auto differs = [](const char* what, const auto& x, const auto& y) {
    return fmt::format("{} {}, but {}", what, y, x);
  };
  if (a.strategy != b.strategy) return differs("strategy", a.strategy, b.strategy);
  if (a.seeds != b.seeds) return differs("seeds", a.seeds, b.seeds);
  if (a.seed_base != b.seed_base) return differs("seed base", a.seed_base, b.seed_base);
  if (a.bugs != b.bugs) return differs("bugs", join(a.bugs), join(b.bugs));
  if (a.fault_sites != b.fault_sites) return differs("--fault-sites", a.fault_sites, b.fault_sites);
  if (a.params != b.params) return differs("--param", join(a.params), join(b.params));
  if (a.shard_count != b.shard_count) return differs("shard count", a.shard_count, b.shard_count);
  if (a.require_coverage != b.require_coverage)
    return differs("--require-coverage", a.require_coverage, b.require_coverage);
  if (a.wbsim_version != b.wbsim_version || a.commit != b.commit)
    return fmt::format("wbsim {} at commit {}, but {} at {}", b.wbsim_version, b.commit, a.wbsim_version, a.commit);
  return "";
}

// The shards must be those of one sweep, each once, and all of them.
void check_one_sweep(const std::vector<std::string>& paths, const std::vector<SweepOutcome>& shards) {
  const SweepIdentity& first = shards[0].identity;
  std::vector<std::size_t> by_index(first.shard_count, SIZE_MAX);
  for (std::size_t i = 0; i < shards.size(); ++i) {
    const SweepIdentity& id = shards[i].identity;
    if (const std::string why = difference(first, id); !why.empty())
      throw UsageError(fmt::format("{}: not a shard of the sweep of {}: {}", paths[i], paths[0], why));
    for (std::size_t t = 0; t < shards[i].report.targets.size(); ++t) {
      const sim::TargetSummary& x = shards[0].report.targets[t];
      const sim::TargetSummary& y = shards[i].report.targets[t];
      if (x.expect != y.expect || x.expect_checker != y.expect_checker)
        throw UsageError(fmt::format("{}: /scenarios/{}: {} expects otherwise than in {}", paths[i], t, y.name,
                                     paths[0]));
    }
    std::size_t& slot = by_index[id.shard_index];
    if (slot != SIZE_MAX)
      throw UsageError(fmt::format("{}: shard {}/{} again (also {})", paths[i], id.shard_index, id.shard_count,
                                   paths[slot]));
    slot = i;
  }
  for (std::uint32_t k = 0; k < first.shard_count; ++k) {
    if (by_index[k] == SIZE_MAX)
      throw UsageError(fmt::format("shard {}/{} is missing: {} shard file(s) given for {} shards", k,
                                   first.shard_count, shards.size(), first.shard_count));
  }
}

sim::TargetSummary merge_target(const std::vector<SweepOutcome>& shards, std::size_t t) {
  sim::TargetSummary s;
  s.name = shards[0].report.targets[t].name;
  s.expect = shards[0].report.targets[t].expect;
  s.expect_checker = shards[0].report.targets[t].expect_checker;
  s.mark_hits.assign(sim::coverage_marks().size(), 0);
  for (const SweepOutcome& o : shards) {
    const sim::TargetSummary& x = o.report.targets[t];
    s.seeds_run += x.seeds_run;
    s.unexpected += x.unexpected;
    s.expected_hits += x.expected_hits;
    s.steps += x.steps;
    s.busy_seconds += x.busy_seconds;
    s.known += x.known;
    for (const auto& [name, count_seed] : x.known_by_finding) {
      auto [it, fresh] = s.known_by_finding.try_emplace(name, 0, count_seed.second);
      it->second.first += count_seed.first;
      it->second.second = std::min(it->second.second, count_seed.second);
    }
    for (std::size_t m = 0; m < s.mark_hits.size(); ++m) s.mark_hits[m] += x.mark_hits[m];
  }
  sim::judge_target(s, true);
  return s;
}

// Failure groups joined by (scenario, shape); per scenario, in the sweep's
// order, the first `keep` groups by first seed.
std::vector<FailureLine> merge_failures(const std::vector<SweepOutcome>& shards, std::size_t keep) {
  std::map<std::pair<std::string, std::string>, FailureLine> groups;
  for (const SweepOutcome& o : shards) {
    for (const FailureLine& f : o.failures) {
      auto [it, fresh] = groups.try_emplace({f.scenario, f.shape}, f);
      if (fresh) continue;
      FailureLine& g = it->second;
      const std::uint64_t seeds = g.group_seeds + f.group_seeds;
      const std::uint64_t first = std::min(g.first_seed, f.first_seed);
      if (std::pair(f.steps, f.seed) < std::pair(g.steps, g.seed)) g = f;
      g.group_seeds = seeds;
      g.first_seed = first;
    }
  }
  std::vector<FailureLine> out;
  for (const std::string& scenario : shards[0].identity.scenarios) {
    std::vector<const FailureLine*> mine;
    for (const auto& [key, g] : groups) {
      if (key.first == scenario) mine.push_back(&g);
    }
    std::sort(mine.begin(), mine.end(), [](auto* x, auto* y) { return x->first_seed < y->first_seed; });
    for (std::size_t i = 0; i < mine.size() && i < keep; ++i) out.push_back(*mine[i]);
  }
  return out;
}

SweepOutcome merge_outcomes(const std::vector<SweepOutcome>& shards) {
  SweepOutcome m;
  m.identity = shards[0].identity;
  m.identity.shard_index = 0;
  m.identity.shard_count = 1;
  for (std::size_t t = 0; t < shards[0].report.targets.size(); ++t) m.report.targets.push_back(merge_target(shards, t));
  m.report.mark_hits.assign(sim::coverage_marks().size(), 0);
  for (const sim::TargetSummary& s : m.report.targets) {
    for (std::size_t i = 0; i < s.mark_hits.size(); ++i) m.report.mark_hits[i] += s.mark_hits[i];
  }
  m.failures = merge_failures(shards, sim::SweepOptions{}.keep_failures);
  // Shards ran side by side: the sweep took as long as the longest.
  for (const SweepOutcome& o : shards) {
    m.report.rechecked += o.report.rechecked;
    m.report.time_limited = m.report.time_limited || o.report.time_limited;
    m.report.wall_seconds = std::max(m.report.wall_seconds, o.report.wall_seconds);
    m.time_limit_seconds = std::max(m.time_limit_seconds, o.time_limit_seconds);
  }
  // A leak in any shard is the sweep's; the lowest shard's is named.
  const SweepOutcome* leaky = nullptr;
  for (const SweepOutcome& o : shards) {
    if (o.report.mismatch && (leaky == nullptr || o.identity.shard_index < leaky->identity.shard_index)) leaky = &o;
  }
  if (leaky != nullptr) m.report.mismatch = leaky->report.mismatch;
  return m;
}

}  // namespace

int cmd_merge(const MergeArgs& args) {
  if (std::find(args.shards.begin(), args.shards.end(), args.out) != args.shards.end())
    throw UsageError(fmt::format("{}: the output is also a shard file (wbsim merge OUT.json SHARD.json...)", args.out));
  std::vector<SweepOutcome> shards;
  for (const std::string& path : args.shards) shards.push_back(read_sweep_json(path));
  check_one_sweep(args.shards, shards);
  const SweepOutcome merged = merge_outcomes(shards);
  const SweepIdentity& id = merged.identity;
  fmt::print("wbsim merge: {} shard(s) of a sweep of {} scenario(s) x {} seed(s) from {}, strategy {}{}\n",
             shards.size(), id.scenarios.size(), id.seeds, id.seed_base, id.strategy,
             id.bugs.empty() ? "" : ", bugs " + join(id.bugs));
  std::vector<const sim::CoverageMark*> unhit;
  const int code = print_sweep_summary(merged, unhit);
  write_sweep_json(args.out, merged);
  if (!args.junit_file.empty()) write_junit(args.junit_file, merged, unhit);
  return code;
}

}  // namespace wbsim::cli
