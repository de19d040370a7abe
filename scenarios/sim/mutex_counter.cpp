// Why: the benchmark program shared with other fiber race detectors (Relacy's
//      random scheduler runs the same one; docs/performance.md compares the
//      two): a mutex excludes, and the increment it guards, split by a
//      scheduling point, loses no update under any schedule.
// How: four fibers each take a mutex twenty times, read the counter, yield,
//      write it back plus one and unlock; the host then checks it is 80.
//      Three scheduling points per iteration (lock, the yield, unlock), as
//      Relacy's lock, instrumented variable access and unlock. No swarm
//      faults: the program reaches no fault site, and drawing the plan
//      would add some thirty draws a run that Relacy's program does not make.
#include "scenarios/registry.h"
#include "sim/assert.h"
#include "sim/mutex.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(sim_mutex_counter, "sim/mutex_counter", .faults = false,
               .why = "4 fibers x 20 mutex lock/increment/unlock sum to 80 (the cross-tool benchmark)") {
  constexpr int kFibers = 4;
  constexpr int kRounds = 20;
  sim::Mutex mutex{"counter"};
  int counter = 0;
  for (int f = 0; f < kFibers; ++f) {
    s.spawn("incrementer", [&] {
      for (int i = 0; i < kRounds; ++i) {
        mutex.lock();
        const int seen = counter;
        sim::yield();
        counter = seen + 1;
        mutex.unlock();
      }
    });
  }
  s.run();
  SIM_ASSERT_CMP(counter, ==, kFibers * kRounds);
  SIM_ASSERT(!mutex.is_locked());
}

}  // namespace wbsim::scenarios
