#include "sim/sweep.h"

#include "sim/known_finding.h"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "sim/coverage.h"
#include "sim/rng.h"

namespace wbsim::sim {

namespace {

using Clock = std::chrono::steady_clock;

struct TaskResult {
  std::atomic<bool> done{false};  // release-stored after every other field
  bool ok = true;
  bool hit = false;  // the expected checker fired
  const KnownFinding* known = nullptr;  // a pinned finding explains the failure
  std::uint64_t steps = 0;
  std::vector<std::uint64_t> mark_hits;  // of the first run of the seed
  double seconds = 0;
  std::optional<RunResult> kept;  // failing runs only
};

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

std::vector<std::uint64_t> shard_seeds(const SweepOptions& o) {
  std::vector<std::uint64_t> seeds;
  for (std::uint64_t s = o.seed_base; s < o.seed_base + o.seeds; ++s) {
    if (s % o.shard_count == o.shard_index) seeds.push_back(s);
  }
  return seeds;
}

SweepReport run_sweep(const std::vector<SweepTarget>& targets, const SweepOptions& options,
                      const SweepCallbacks& callbacks) {
  const std::vector<std::uint64_t> seeds = shard_seeds(options);
  const std::size_t per_target = seeds.size();
  const std::size_t total = targets.size() * per_target;
  std::vector<TaskResult> results(total);
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> finished{0};
  std::atomic<bool> stop{false};
  std::mutex mismatch_mu;
  std::optional<DeterminismMismatch> mismatch;
  std::atomic<std::uint64_t> rechecked{0};
  const auto start = Clock::now();

  auto worker = [&] {
    for (;;) {
      if (stop.load(std::memory_order_relaxed)) return;
      if (options.time_limit_seconds > 0 &&
          std::chrono::duration<double>(Clock::now() - start).count() > options.time_limit_seconds) {
        stop = true;
        return;
      }
      const std::size_t task = next.fetch_add(1);
      if (task >= total) return;
      const SweepTarget& target = targets[task / per_target];
      const std::uint64_t seed = seeds[task % per_target];
      const auto t0 = Clock::now();
      RunResult r = target.run(seed, false);
      TaskResult& out = results[task];
      out.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      out.steps = r.steps;
      out.mark_hits = r.mark_hits;
      const bool fired = r.finding.has_value();
      out.hit = fired && r.finding->checker == target.expect_checker;
      switch (target.expect) {
        case Expect::pass: out.ok = !fired; break;
        case Expect::fail_always: out.ok = out.hit; break;
        case Expect::fail_sometimes: out.ok = !fired || out.hit; break;
      }
      if (!out.ok && fired && target.expect != Expect::fail_always) {
        out.known = explaining_finding(r.finding->checker, r.mark_hits);
        if (out.known != nullptr) out.ok = true;
      }
      if (!out.ok) out.kept = std::move(r);
      if (should_recheck(seed, options.recheck_every)) {
        rechecked.fetch_add(1);
        const RunResult again = target.run(seed, false);
        const std::uint64_t first = out.kept ? out.kept->trace_hash : r.trace_hash;
        if (again.trace_hash != first) {
          std::string diff = first_difference(target, seed);
          std::lock_guard lock(mismatch_mu);
          if (!mismatch) mismatch = DeterminismMismatch{target.name, seed, first, again.trace_hash, std::move(diff)};
          stop = true;
        }
      }
      out.done.store(true, std::memory_order_release);
      finished.fetch_add(1, std::memory_order_release);
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
    s.name = targets[t].name;
    s.mark_hits.assign(mark_count, 0);
    for (std::size_t i = 0; i < per_target; ++i) {
      TaskResult& r = results[t * per_target + i];
      if (!r.done.load(std::memory_order_acquire)) continue;
      ++s.seeds_run;
      s.steps += r.steps;
      for (std::size_t m = 0; m < mark_count && m < r.mark_hits.size(); ++m) s.mark_hits[m] += r.mark_hits[m];
      s.busy_seconds += r.seconds;
      if (r.hit) ++s.expected_hits;
      if (r.known != nullptr) {
        ++s.known;
        auto [it, fresh] = s.known_by_finding.try_emplace(r.known->name(), 0, seeds[i]);
        ++it->second.first;
      }
      if (!r.ok) {
        ++s.unexpected;
        if (s.failures.size() < options.keep_failures) s.failures.push_back({seeds[i], std::move(*r.kept)});
      }
    }
    const SweepTarget& target = targets[t];
    if (s.unexpected > 0) {
      s.passed = false;
      s.verdict = target.expect == Expect::fail_always
                      ? fmt::format("FAIL: expected checker '{}' did not fire on {} seed(s)", target.expect_checker,
                                    s.unexpected)
                      : fmt::format("FAIL: {} failing seed(s)", s.unexpected);
    } else if (target.expect == Expect::fail_sometimes && s.expected_hits == 0 && s.seeds_run > 0) {
      s.passed = false;
      s.verdict = fmt::format("FAIL: expected checker '{}' never fired in {} seeds", target.expect_checker,
                              s.seeds_run);
    } else {
      s.verdict = "ok";
    }
  };

  // The main thread reports targets in order as each completes.
  for (;;) {
    while (reported < targets.size()) {
      bool complete = true;
      for (std::size_t i = 0; i < per_target && complete; ++i)
        complete = results[reported * per_target + i].done.load(std::memory_order_acquire);
      if (!complete) break;
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
