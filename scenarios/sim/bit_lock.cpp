// Why: a lock bit in a flags word (PG_locked-style) with wait_on_bit and
//      clear_and_wake_up_bit gives mutual exclusion, and no waiter sleeps
//      through the unlock.
// How: three fibers take the bit lock by test-and-set, waiting on the bit
//      while it is held, and increment a counter non-atomically inside it.
#include "scenarios/registry.h"
#include "sim/assert.h"
#include "sim/bitwait.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(sim_bit_lock, "sim/bit_lock", .why = "a bit lock with wait_on_bit/wake_up_bit excludes and wakes") {
  constexpr unsigned kLocked = 0;
  sim::FlagsWord flags = 0;
  int counter = 0;
  for (int f = 0; f < 3; ++f) {
    s.spawn("locker", [&] {
      for (int i = 0; i < 3; ++i) {
        for (;;) {
          sim::yield();
          if (!sim::test_bit(kLocked, flags)) break;
          sim::wait_on_bit(flags, kLocked);
        }
        sim::set_bit(kLocked, flags);
        const int seen = counter;
        sim::yield();
        counter = seen + 1;
        sim::clear_and_wake_up_bit(kLocked, flags);
      }
    });
  }
  s.run();
  SIM_ASSERT_CMP(counter, ==, 9);
  SIM_ASSERT(!sim::test_bit(kLocked, flags));
}

}  // namespace wbsim::scenarios
