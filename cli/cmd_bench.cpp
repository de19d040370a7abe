// `wbsim bench`: runtime and scenario throughput, measured in this process.
// Each figure is the best of several repetitions (the least disturbed by the
// rest of the machine). Performance targets are judged on these numbers in
// docs/performance.md, never asserted in tests.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "bench/kernels.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "scenarios/registry.h"

namespace wbsim::cli {

namespace {

using Clock = std::chrono::steady_clock;

// Best ns per counted operation over `reps` runs of `kernel`.
double best_ns(int reps, const std::function<std::uint64_t()>& kernel) {
  double best = 1e300;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    const std::uint64_t ops = kernel();
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    if (ops > 0) best = std::min(best, ns / static_cast<double>(ops));
  }
  return best;
}

double seeds_per_second(const scenarios::Scenario& s, double seconds) {
  const auto t0 = Clock::now();
  std::uint64_t seeds = 0;
  double elapsed = 0;
  do {
    scenarios::RunRequest req;
    req.seed = seeds + 1;
    scenarios::run_scenario(s, req);
    ++seeds;
    elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  } while (elapsed < seconds);
  return static_cast<double>(seeds) / elapsed;
}

double cpu_seconds() {
  rusage ru{};
  ::getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

// Seeds per CPU second (user + system) of the cross-tool program, run as a
// sweep's worker runs its seeds (in this process: no worker round trip, no
// determinism re-runs; `bench/speed` times whole sweeps).
double mutex_counter_seeds_per_cpu_second(std::uint64_t seeds) {
  const scenarios::Scenario* s = scenarios::find_scenario("sim/mutex_counter");
  if (s == nullptr) return 0;
  const double t0 = cpu_seconds();
  for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
    scenarios::RunRequest req;
    req.seed = seed;
    req.passing_details = false;
    scenarios::run_scenario(*s, req);
  }
  const double cpu = cpu_seconds() - t0;
  return cpu > 0 ? static_cast<double>(seeds) / cpu : 0;
}

}  // namespace

int cmd_bench(const BenchArgs& args) {
  if (!args.quick.empty() && args.quick != "0" && args.quick != "1")
    throw UsageError(fmt::format("--quick '{}': must be 0 or 1", args.quick));
  const bool quick = args.quick == "1";
  const std::uint64_t n = quick ? 20'000 : 2'000'000;
  const int reps = quick ? 2 : 5;

  const double switch_ns = best_ns(reps, [&] { return bench::raw_fiber_switches(n); });
  double step_ns = 1e300, switching_step_ns = 1e300, step2_ns = 1e300;
  for (int i = 0; i < reps; ++i) {
    auto t0 = Clock::now();
    const bench::StepCount c = bench::scheduler_yields(8, n / 8);
    const double ns = std::chrono::duration<double, std::nano>(Clock::now() - t0).count();
    step_ns = std::min(step_ns, ns / static_cast<double>(c.steps));
    switching_step_ns = std::min(switching_step_ns, ns / static_cast<double>(c.switches));
    t0 = Clock::now();
    const bench::StepCount c2 = bench::scheduler_yields(2, n / 2);
    step2_ns = std::min(step2_ns, std::chrono::duration<double, std::nano>(Clock::now() - t0).count() /
                                      static_cast<double>(c2.steps));
  }

  const std::uint64_t pn = n / 10;
  const std::vector<std::pair<const char*, std::function<std::uint64_t()>>> primitives = {
      {"mutex_uncontended", [&] { return bench::mutex_uncontended(pn); }},
      {"mutex_contended", [&] { return bench::mutex_contended(pn); }},
      {"spinlock_contended", [&] { return bench::spinlock_contended(pn); }},
      {"semaphore_credits", [&] { return bench::semaphore_credits(pn); }},
      {"completion_pingpong", [&] { return bench::completion_pingpong(pn); }},
      {"waitqueue_pingpong", [&] { return bench::waitqueue_pingpong(pn); }},
      {"rwsem_mixed", [&] { return bench::rwsem_mixed(pn); }},
      {"bit_lock", [&] { return bench::bit_lock(pn); }},
      {"workqueue_items", [&] { return bench::workqueue_items(pn); }},
      {"sleep_timers", [&] { return bench::sleep_timers(pn); }},
  };
  std::vector<std::pair<std::string, double>> prim_ns;
  for (const auto& [name, kernel] : primitives) prim_ns.emplace_back(name, best_ns(reps, kernel));

  double mutex_rate = 0;
  for (int i = 0; i < reps; ++i)
    mutex_rate = std::max(mutex_rate, mutex_counter_seeds_per_cpu_second(quick ? 200 : 20'000));

  std::vector<std::pair<std::string, double>> scenario_rates;
  for (const scenarios::Scenario* s : scenarios::all_scenarios()) {
    if (args.runtime_only) break;
    scenario_rates.emplace_back(s->name, seeds_per_second(*s, quick ? 0.02 : 0.5));
  }

  // The engine's figure of merit: the median netfs scenario's seeds/s.
  std::vector<double> netfs_rates;
  for (const auto& [name, rate] : scenario_rates) {
    if (name.starts_with("netfs/")) netfs_rates.push_back(rate);
  }
  std::sort(netfs_rates.begin(), netfs_rates.end());
  const double netfs_median =
      netfs_rates.empty() ? 0
      : netfs_rates.size() % 2 ? netfs_rates[netfs_rates.size() / 2]
                               : (netfs_rates[netfs_rates.size() / 2 - 1] + netfs_rates[netfs_rates.size() / 2]) / 2;
  const double ratio = step_ns / switch_ns;
  const double switching_ratio = switching_step_ns / switch_ns;
  if (args.json) {
    std::string json = fmt::format(
        "{{\"fiber_switch_ns\":{:.2f},\"scheduler_step_ns\":{:.2f},\"scheduler_switching_step_ns\":{:.2f},"
        "\"scheduler_step_2_fibers_ns\":{:.2f},\"step_to_switch_ratio\":{:.2f},"
        "\"switching_step_to_switch_ratio\":{:.2f},\"primitives_ns_per_op\":{{",
        switch_ns, step_ns, switching_step_ns, step2_ns, ratio, switching_ratio);
    for (std::size_t i = 0; i < prim_ns.size(); ++i)
      json += fmt::format("{}\"{}\":{:.2f}", i ? "," : "", prim_ns[i].first, prim_ns[i].second);
    json += fmt::format("}},\"mutex_counter_seeds_per_cpu_s\":{:.0f}", mutex_rate);
    json += fmt::format(",\"netfs_median_seeds_per_s\":{:.0f},\"scenario_seeds_per_s\":{{", netfs_median);
    for (std::size_t i = 0; i < scenario_rates.size(); ++i)
      json += fmt::format("{}\"{}\":{:.0f}", i ? "," : "", scenario_rates[i].first, scenario_rates[i].second);
    json += "}}";
    fmt::print("{}\n", json);
    return kPass;
  }
  fmt::print("runtime (ns, best of {}):\n", reps);
  fmt::print("  {:<34} {:>9.2f}\n", "raw Boost.Context switch", switch_ns);
  fmt::print("  {:<34} {:>9.2f}\n", "scheduler step, 8 fibers", step_ns);
  fmt::print("  {:<34} {:>9.2f}\n", "scheduler step that switches", switching_step_ns);
  fmt::print("  {:<34} {:>9.2f}\n", "scheduler step, 2 fibers", step2_ns);
  fmt::print("  {:<34} {:>9.2f}x (target <= 3x)\n", "step / raw switch", ratio);
  fmt::print("  {:<34} {:>9.2f}x\n", "switching step / raw switch", switching_ratio);
  fmt::print("primitives (ns per operation, scheduling points included):\n");
  for (const auto& [name, ns] : prim_ns) fmt::print("  {:<34} {:>9.2f}\n", name, ns);
  fmt::print("sim/mutex_counter (seeds per CPU second, best of {}):\n", reps);
  fmt::print("  {:<38} {:>9.0f}\n", "in process, no re-runs", mutex_rate);
  if (args.runtime_only) return kPass;
  fmt::print("scenarios (seeds/s on one core):\n");
  for (const auto& [name, rate] : scenario_rates) fmt::print("  {:<38} {:>9.0f}\n", name, rate);
  fmt::print("  {:<38} {:>9.0f} (target >= 1000)\n", "median of netfs/*", netfs_median);
  return kPass;
}

}  // namespace wbsim::cli
