// Google Benchmark suite for the runtime: raw fiber switch, scheduler step,
// and each primitive. `wbsim bench` reports the same kernels as JSON.
#include <benchmark/benchmark.h>

#include "bench/kernels.h"

namespace wbsim::bench {
namespace {

constexpr std::uint64_t kBatch = 1 << 14;

template <std::uint64_t (*Kernel)(std::uint64_t)>
void run_kernel(benchmark::State& state) {
  std::uint64_t ops = 0;
  for (auto _ : state) ops += Kernel(kBatch);
  state.SetItemsProcessed(static_cast<std::int64_t>(ops));
}

void BM_raw_fiber_switch(benchmark::State& state) { run_kernel<raw_fiber_switches>(state); }
void BM_scheduler_step(benchmark::State& state) {
  std::uint64_t steps = 0;
  for (auto _ : state) steps += scheduler_yields(static_cast<unsigned>(state.range(0)), kBatch).steps;
  state.SetItemsProcessed(static_cast<std::int64_t>(steps));
}
void BM_mutex_uncontended(benchmark::State& state) { run_kernel<mutex_uncontended>(state); }
void BM_mutex_contended(benchmark::State& state) { run_kernel<mutex_contended>(state); }
void BM_spinlock_contended(benchmark::State& state) { run_kernel<spinlock_contended>(state); }
void BM_semaphore_credits(benchmark::State& state) { run_kernel<semaphore_credits>(state); }
void BM_completion_pingpong(benchmark::State& state) { run_kernel<completion_pingpong>(state); }
void BM_waitqueue_pingpong(benchmark::State& state) { run_kernel<waitqueue_pingpong>(state); }
void BM_rwsem_mixed(benchmark::State& state) { run_kernel<rwsem_mixed>(state); }
void BM_bit_lock(benchmark::State& state) { run_kernel<bit_lock>(state); }
void BM_workqueue_items(benchmark::State& state) { run_kernel<workqueue_items>(state); }
void BM_sleep_timers(benchmark::State& state) { run_kernel<sleep_timers>(state); }

BENCHMARK(BM_raw_fiber_switch);
BENCHMARK(BM_scheduler_step)->Arg(2)->Arg(8)->Arg(64);
BENCHMARK(BM_mutex_uncontended);
BENCHMARK(BM_mutex_contended);
BENCHMARK(BM_spinlock_contended);
BENCHMARK(BM_semaphore_credits);
BENCHMARK(BM_completion_pingpong);
BENCHMARK(BM_waitqueue_pingpong);
BENCHMARK(BM_rwsem_mixed);
BENCHMARK(BM_bit_lock);
BENCHMARK(BM_workqueue_items);
BENCHMARK(BM_sleep_timers);

}  // namespace
}  // namespace wbsim::bench

BENCHMARK_MAIN();
