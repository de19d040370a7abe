// Why: a busy-wait on a condition that never becomes true must end as a
//      livelock finding naming the spinning fibers, not as a hung sweep.
// How: two fibers each spin (with a scheduling point per iteration) until the
//      other sets a flag it only sets after its own spin ends.
#include "scenarios/registry.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(canary_spin_forever, "canary/spin_forever", .expect = sim::Expect::fail_always,
               .expect_checker = "livelock", .step_budget = 20'000,
               .why = "two fibers spinning on each other exhaust the step budget") {
  bool left_done = false;
  bool right_done = false;
  s.spawn("left", [&] {
    while (!right_done) sim::yield();
    left_done = true;
  });
  s.spawn("right", [&] {
    while (!left_done) sim::yield();
    right_done = true;
  });
  s.run();
}

}  // namespace wbsim::scenarios
