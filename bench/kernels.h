//! Benchmark kernels shared by the Google Benchmark suite (bench/) and
//! `wbsim bench`. Each performs `n` operations in a fresh simulation and
//! returns what it counted; the caller does the timing.
#pragma once

#include <cstdint>

namespace wbsim::bench {

struct StepCount {
  std::uint64_t steps;
  std::uint64_t switches;
};

// n one-way switches between two bare Boost.Context fibers.
std::uint64_t raw_fiber_switches(std::uint64_t n);
// `fibers` fibers each passing `per_fiber` scheduling points (random strategy).
StepCount scheduler_yields(unsigned fibers, std::uint64_t per_fiber);
// Operation pairs, each in its own simulation:
std::uint64_t mutex_uncontended(std::uint64_t n);   // lock + unlock
std::uint64_t mutex_contended(std::uint64_t n);     // two fibers, lock + unlock each
std::uint64_t spinlock_contended(std::uint64_t n);
std::uint64_t semaphore_credits(std::uint64_t n);   // down/up between two fibers
std::uint64_t completion_pingpong(std::uint64_t n); // complete + wait, both ways
std::uint64_t waitqueue_pingpong(std::uint64_t n);  // wake_up + wait_event, both ways
std::uint64_t rwsem_mixed(std::uint64_t n);         // readers and a writer
std::uint64_t bit_lock(std::uint64_t n);            // test/set + clear_and_wake_up_bit
std::uint64_t workqueue_items(std::uint64_t n);     // queue_work + run + flush_work
std::uint64_t sleep_timers(std::uint64_t n);        // timer insert + clock jump

}  // namespace wbsim::bench
