// Why: an open-coded wait that tests its condition and then sleeps, with a
//      window between the two, loses a wake-up that lands in the window: the
//      waiter sleeps forever. The deadlock report must say who last
//      signalled the queue.
// How: the waiter checks a flag, passes a scheduling point, then sleeps on a
//      waitqueue; the waker sets the flag and wakes the queue. Seeds where the
//      waker runs inside the window deadlock.
#include "scenarios/registry.h"
#include "sim/waitqueue.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(sim_lost_wakeup, "sim/lost_wakeup", .expect = sim::Expect::fail_sometimes,
               .expect_checker = "deadlock", .why = "a test-then-sleep wait loses a wake-up in its window") {
  sim::WaitQueue wq{"done_wq"};
  bool done = false;
  s.spawn("waiter", [&] {
    if (!done) {
      sim::yield();  // the window: no prepare_to_wait before the test
      wq.sleep_on();
    }
  });
  s.spawn("waker", [&] {
    done = true;
    wq.wake_up();
  });
  s.run();
}

}  // namespace wbsim::scenarios
