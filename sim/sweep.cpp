#include "sim/sweep.h"

#include "sim/known_finding.h"

#include <atomic>
#include <cctype>
#include <map>
#include <memory>
#include <algorithm>
#include <chrono>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "sim/assert.h"
#include "sim/coverage.h"
#include "sim/rng.h"

namespace wbsim::sim {

namespace {

using Clock = std::chrono::steady_clock;

// A target's results, folded as each seed's run ends, so a sweep's memory
// does not grow with its seeds: counts and sums, and one run per failure
// group (its shortest; ties go to the lower seed, so the fold's order, which
// threads decide, does not matter).
struct Accum {
  std::mutex mu;
  std::uint64_t seeds_run = 0;
  std::uint64_t unexpected = 0;
  std::uint64_t expected_hits = 0;
  std::uint64_t steps = 0;
  std::uint64_t known = 0;
  double busy_seconds = 0;
  std::vector<std::uint64_t> mark_hits;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> known_by_finding;  // name -> (seeds, first seed)
  std::map<std::string, SeedFailure> groups;                                         // by failure_shape
  std::atomic<std::uint64_t> completed{0};  // seeds folded in
};

// What one seed's run means for its target.
struct Verdict {
  bool ok = true;
  bool hit = false;                     // the expected checker fired
  const KnownFinding* known = nullptr;  // a pinned finding explains the failure
};

Verdict judge(const SweepTarget& target, const RunResult& r) {
  Verdict v;
  const bool fired = r.finding.has_value();
  v.hit = fired && r.finding->checker == target.expect_checker;
  if (v.hit && target.pinned != nullptr) {
    const std::uint32_t m = target.pinned->mark().index();
    v.hit = m < r.mark_hits.size() && r.mark_hits[m] > 0;
  }
  switch (target.expect) {
    case Expect::pass: v.ok = !fired; break;
    case Expect::fail_always: v.ok = v.hit; break;
    case Expect::fail_sometimes: v.ok = !fired || v.hit; break;
  }
  if (!v.ok && fired && target.expect != Expect::fail_always) {
    v.known = explaining_finding(r.finding->checker, r.mark_hits);
    if (v.known != nullptr) v.ok = true;
  }
  return v;
}

// Folds one seed's run into its target's aggregates (under its lock).
void fold(Accum& a, std::uint64_t seed, double seconds, const Verdict& v, RunResult r) {
  std::lock_guard lock(a.mu);
  ++a.seeds_run;
  a.steps += r.steps;
  a.busy_seconds += seconds;
  if (a.mark_hits.size() < r.mark_hits.size()) a.mark_hits.resize(r.mark_hits.size(), 0);
  for (std::size_t m = 0; m < r.mark_hits.size(); ++m) a.mark_hits[m] += r.mark_hits[m];
  if (v.hit) ++a.expected_hits;
  if (v.known != nullptr) {
    ++a.known;
    auto [it, fresh] = a.known_by_finding.try_emplace(v.known->name(), 0, seed);
    ++it->second.first;
    it->second.second = std::min(it->second.second, seed);
  }
  if (v.ok) return;
  ++a.unexpected;
  const std::string shape = failure_shape(r);
  const auto g = a.groups.find(shape);
  if (g == a.groups.end()) {
    a.groups.emplace(shape, SeedFailure{seed, std::move(r), 1, seed});
    return;
  }
  SeedFailure& f = g->second;
  ++f.group_seeds;
  f.group_first_seed = std::min(f.group_first_seed, seed);
  if (std::pair(r.steps, seed) < std::pair(f.result.steps, f.seed)) {
    f.seed = seed;
    f.result = std::move(r);
  }
}

bool should_recheck(std::uint64_t seed, std::uint32_t every) {
  if (every == 0) return false;
  std::uint64_t x = seed;
  return Rng::splitmix64(x) % every == 0;
}

std::string first_difference(const SweepTarget& target, std::uint64_t seed) {
  const RunResult a = target.run(seed, true);
  const RunResult b = target.run(seed, true);
  const std::size_t n = std::min(a.trace_all.size(), b.trace_all.size());
  for (std::size_t i = 0; i < n; ++i) {
    if (a.trace_all[i] != b.trace_all[i])
      return fmt::format("trace line {}:\n  run 1: {}\n  run 2: {}", i + 1, a.trace_all[i], b.trace_all[i]);
  }
  if (a.trace_all.size() != b.trace_all.size())
    return fmt::format("traces agree for {} lines, then one run ends ({} vs {} lines)", n, a.trace_all.size(),
                       b.trace_all.size());
  if (a.tape != b.tape) {
    const auto ca = a.tape.choices();
    const auto cb = b.tape.choices();
    std::size_t i = 0;
    while (i < ca.size() && i < cb.size() && ca[i] == cb[i]) ++i;
    return fmt::format("traces agree line for line, but the schedules differ at choice {} of {}/{}", i, ca.size(),
                       cb.size());
  }
  return "two further runs agreed line for line (the leak is intermittent)";
}

}  // namespace

std::string failure_shape(const RunResult& r) {
  if (!r.finding) return "(none)";
  std::string shape = r.finding->checker + "|" + r.finding->where + "|";
  const std::string& m = r.finding->message;
  for (std::size_t i = 0; i < m.size();) {
    // A number (decimal, or hex after 0x) becomes '#'.
    if (std::isdigit(static_cast<unsigned char>(m[i]))) {
      std::size_t j = i;
      if (m[j] == '0' && j + 1 < m.size() && (m[j + 1] == 'x' || m[j + 1] == 'X')) j += 2;
      while (j < m.size() && std::isxdigit(static_cast<unsigned char>(m[j]))) ++j;
      shape += '#';
      i = j;
    } else {
      shape += m[i++];
    }
  }
  return shape;
}

ShardSeeds shard_seeds(const SweepOptions& o) {
  SIM_ASSERT(o.shard_count > 0);
  SIM_ASSERT(o.shard_index < o.shard_count);
  SIM_ASSERT(o.seed_base + o.seeds >= o.seed_base);
  ShardSeeds out;
  out.stride = o.shard_count;
  // The lowest seed >= seed_base with seed % shard_count == shard_index.
  const std::uint64_t offset = (o.shard_index + o.shard_count - o.seed_base % o.shard_count) % o.shard_count;
  if (offset >= o.seeds) return out;
  out.first = o.seed_base + offset;
  out.count = (o.seeds - offset - 1) / o.shard_count + 1;
  return out;
}

std::uint64_t ShardSeeds::operator[](std::uint64_t i) const {
  SIM_ASSERT_CMP(i, <, count);
  return first + i * stride;
}

void judge_target(TargetSummary& s, bool whole_sweep) {
  s.passed = true;
  s.deferred = false;
  s.verdict = "ok";
  if (s.unexpected > 0) {
    s.passed = false;
    s.verdict = s.expect == Expect::fail_always
                    ? fmt::format("FAIL: expected checker '{}' did not fire, or not on its pinned finding's path, on {} seed(s)", s.expect_checker,
                                  s.unexpected)
                    : fmt::format("FAIL: {} failing seed(s)", s.unexpected);
  } else if (s.expect == Expect::fail_sometimes && s.expected_hits == 0 && s.seeds_run > 0) {
    // Another shard's seeds may find it: only the merge can fail this.
    if (!whole_sweep) {
      s.deferred = true;
      s.verdict = fmt::format("deferred to merge: expected checker '{}' did not fire in this shard's {} seeds",
                              s.expect_checker, s.seeds_run);
      return;
    }
    s.passed = false;
    s.verdict = fmt::format("FAIL: expected checker '{}' never fired in {} seeds", s.expect_checker, s.seeds_run);
  }
}

SweepReport run_sweep(const std::vector<SweepTarget>& targets, const SweepOptions& options,
                      const SweepCallbacks& callbacks) {
  const ShardSeeds seeds = shard_seeds(options);
  const std::uint64_t per_target = seeds.count;
  // Callers bound targets x seeds (wbsim sweep rejects more); tasks are
  // numbered target-major in 64 bits.
  SIM_ASSERT(per_target == 0 || targets.size() <= UINT64_MAX / per_target);
  const std::uint64_t total = targets.size() * per_target;
  std::vector<std::unique_ptr<Accum>> accums;
  for (std::size_t t = 0; t < targets.size(); ++t) accums.push_back(std::make_unique<Accum>());
  std::atomic<std::uint64_t> next{0};
  std::atomic<std::uint64_t> finished{0};
  std::atomic<bool> stop{false};
  std::mutex mismatch_mu;
  std::optional<DeterminismMismatch> mismatch;
  std::atomic<std::uint64_t> rechecked{0};
  const auto start = Clock::now();

  // One seed's result: judged, re-run now and then for the determinism
  // check, folded into its target.
  auto finish = [&](std::size_t t, std::uint64_t seed, double seconds, RunResult r) {
    const SweepTarget& target = targets[t];
    const Verdict v = judge(target, r);
    if (should_recheck(seed, options.recheck_every)) {
      rechecked.fetch_add(1);
      const RunResult again = target.run(seed, false);
      if (again.trace_hash != r.trace_hash) {
        std::string diff = first_difference(target, seed);
        std::lock_guard lock(mismatch_mu);
        if (!mismatch) mismatch = DeterminismMismatch{target.name, seed, r.trace_hash, again.trace_hash, std::move(diff)};
        stop = true;
      }
    }
    Accum& a = *accums[t];
    fold(a, seed, seconds, v, std::move(r));
    a.completed.fetch_add(1, std::memory_order_release);
    finished.fetch_add(1, std::memory_order_release);
  };

  // Tasks [first, first + n) of target t: one by one, or as one batch.
  auto run_tasks = [&](std::size_t t, std::uint64_t first, std::uint64_t n, std::vector<std::uint64_t>& batch) {
    const SweepTarget& target = targets[t];
    if (n == 1 || !target.run_batch) {
      for (std::uint64_t i = first; i < first + n; ++i) {
        const auto t0 = Clock::now();
        RunResult r = target.run(seeds[i], false);
        finish(t, seeds[i], std::chrono::duration<double>(Clock::now() - t0).count(), std::move(r));
      }
      return;
    }
    batch.clear();
    for (std::uint64_t i = first; i < first + n; ++i) batch.push_back(seeds[i]);
    const auto t0 = Clock::now();
    std::vector<RunResult> results = target.run_batch(batch);
    SIM_ASSERT_CMP(results.size(), ==, batch.size());
    // Busy time is summed per target: the batch's, shared out evenly.
    const double each = std::chrono::duration<double>(Clock::now() - t0).count() / static_cast<double>(n);
    for (std::size_t k = 0; k < batch.size(); ++k) finish(t, batch[k], each, std::move(results[k]));
  };

  const bool batched = std::any_of(targets.begin(), targets.end(), [](const SweepTarget& t) { return bool(t.run_batch); });
  const std::uint64_t claim = batched ? std::max<std::uint64_t>(1, options.batch_seeds) : 1;
  auto worker = [&] {
    std::vector<std::uint64_t> batch;
    for (;;) {
      if (stop.load(std::memory_order_relaxed)) return;
      if (options.time_limit_seconds > 0 &&
          std::chrono::duration<double>(Clock::now() - start).count() > options.time_limit_seconds) {
        stop = true;
        return;
      }
      const std::uint64_t task = next.fetch_add(claim);
      if (task >= total) return;
      const std::uint64_t end = total - task < claim ? total : task + claim;
      // A claim may span two targets (tasks are numbered target-major).
      for (std::uint64_t at = task; at < end;) {
        const std::size_t t = at / per_target;
        const std::uint64_t target_end = std::min<std::uint64_t>(end, (t + 1) * per_target);
        run_tasks(t, at % per_target, target_end - at, batch);
        at = target_end;
      }
    }
  };

  // Sealed here, once, before any worker needs it.
  const std::size_t mark_count = coverage_marks().size();
  std::vector<std::thread> threads;
  const unsigned jobs = std::max(1u, options.jobs);
  for (unsigned i = 0; i < jobs; ++i) threads.emplace_back(worker);

  SweepReport report;
  report.targets.resize(targets.size());
  std::size_t reported = 0;
  auto summarize = [&](std::size_t t) {
    TargetSummary& s = report.targets[t];
    Accum& a = *accums[t];
    std::lock_guard lock(a.mu);
    s.name = targets[t].name;
    s.seeds_run = a.seeds_run;
    s.unexpected = a.unexpected;
    s.expected_hits = a.expected_hits;
    s.steps = a.steps;
    s.busy_seconds = a.busy_seconds;
    s.known = a.known;
    s.known_by_finding = a.known_by_finding;
    s.mark_hits.assign(mark_count, 0);
    for (std::size_t m = 0; m < mark_count && m < a.mark_hits.size(); ++m) s.mark_hits[m] = a.mark_hits[m];
    // Failure groups by their first seed; the first keep_failures of them.
    std::vector<SeedFailure*> groups;
    for (auto& [shape, f] : a.groups) groups.push_back(&f);
    std::sort(groups.begin(), groups.end(),
              [](const SeedFailure* x, const SeedFailure* y) { return x->group_first_seed < y->group_first_seed; });
    for (SeedFailure* f : groups) {
      if (s.failures.size() >= options.keep_failures) break;
      s.failures.push_back(std::move(*f));
    }
    a.groups.clear();
    s.expect = targets[t].expect;
    s.expect_checker = targets[t].expect_checker;
    judge_target(s, options.shard_count == 1);
  };

  // The main thread reports targets in order as each completes.
  for (;;) {
    while (reported < targets.size()) {
      if (accums[reported]->completed.load(std::memory_order_acquire) < per_target) break;
      summarize(reported);
      if (callbacks.target_done) callbacks.target_done(report.targets[reported]);
      ++reported;
    }
    if (callbacks.progress) callbacks.progress(finished.load(), total);
    if (reported == targets.size() || stop.load()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (auto& t : threads) t.join();
  // Targets cut short by the time limit or a mismatch are still summarised.
  for (; reported < targets.size(); ++reported) {
    summarize(reported);
    if (callbacks.target_done) callbacks.target_done(report.targets[reported]);
  }
  report.mark_hits.assign(mark_count, 0);
  for (const TargetSummary& s : report.targets) {
    for (std::size_t m = 0; m < mark_count; ++m) report.mark_hits[m] += s.mark_hits[m];
  }
  report.mismatch = std::move(mismatch);
  report.time_limited = stop.load() && !report.mismatch;
  report.rechecked = rechecked.load();
  report.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return report;
}

}  // namespace wbsim::sim
