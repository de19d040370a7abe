// Why: the correct form of the lost-wakeup pattern: wait_event tests and
//      sleeps with no window, so no schedule can lose the wake-up.
// How: as sim/lost_wakeup, with wait_event; several wakers and waiters.
#include "scenarios/registry.h"
#include "sim/waitqueue.h"

namespace wbsim::scenarios {

// por_safe: count is written by the waker alone and read only in wait_event conditions.
WBSIM_SCENARIO(sim_wait_event_wakeup, "sim/wait_event_wakeup",
               .why = "wait_event never loses a wake-up",
               .por_safe = true) {
  sim::WaitQueue wq{"count_wq"};
  int count = 0;
  for (int i = 0; i < 3; ++i) {
    s.spawn("waiter", [&, i] { wq.wait_event([&] { return count > i; }); });
  }
  s.spawn("waker", [&] {
    for (int i = 0; i < 3; ++i) {
      ++count;
      wq.wake_up();
    }
  });
  s.run();
}

}  // namespace wbsim::scenarios
