// Why: a lock-order inversion without any forcing must be found by the
//      scheduler's exploration alone: the deadlock needs a preemption between
//      the two lock calls of one fiber.
// How: two fibers take two mutexes in opposite order, with ordinary
//      scheduling points only. Some seeds deadlock; none may fail otherwise.
#include "scenarios/registry.h"
#include "sim/mutex.h"

namespace wbsim::scenarios {

// por_safe: the fibers share nothing but the two mutexes.
WBSIM_SCENARIO(sim_abba_race, "sim/abba_race", .expect = sim::Expect::fail_sometimes,
               .expect_checker = "deadlock", .why = "scheduler exploration finds an unforced ABBA deadlock",
               .por_safe = true) {
  sim::Mutex a{"a"};
  sim::Mutex b{"b"};
  s.spawn("ab", [&] {
    sim::MutexGuard ga(a);
    sim::MutexGuard gb(b);
  });
  s.spawn("ba", [&] {
    sim::MutexGuard gb(b);
    sim::MutexGuard ga(a);
  });
  s.run();
}

}  // namespace wbsim::scenarios
