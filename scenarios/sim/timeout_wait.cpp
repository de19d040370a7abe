// Why: a fiber blocked with a timeout is waiting for time, not deadlocked;
//      the clock must jump to its deadline when nothing else can run.
// How: a poller waits on a completion nobody signals, with a timeout, a few
//      times in a row; a second fiber sleeps. The run must end cleanly, at the
//      virtual time the timeouts add up to.
#include "scenarios/registry.h"
#include "sim/assert.h"
#include "sim/completion.h"

namespace wbsim::scenarios {

// por_safe: the fibers share no plain memory.
WBSIM_SCENARIO(sim_timeout_wait, "sim/timeout_wait", .why = "a timed wait is never reported as a deadlock",
               .por_safe = true) {
  sim::Completion never{"never_signalled"};
  int timeouts = 0;
  s.spawn("poller", [&] {
    for (int i = 0; i < 5; ++i) {
      const bool got = never.wait_timeout(30 * sim::kSec);
      SIM_ASSERT(!got);
      ++timeouts;
    }
  });
  s.spawn("sleeper", [&] { sim::sleep(45 * sim::kSec); });
  s.run();
  SIM_ASSERT_CMP(timeouts, ==, 5);
  SIM_ASSERT_CMP(s.sched().now(), ==, 150 * sim::kSec);
}

}  // namespace wbsim::scenarios
