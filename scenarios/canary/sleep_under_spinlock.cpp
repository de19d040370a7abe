// Why: sleeping while holding a spinlock is a kernel bug even when it does not
//      deadlock in a given run; the runtime reports it as "atomic-sleep" on
//      the first blocking call made in atomic context.
// How: a fiber takes a spinlock and then waits for a completion that another
//      fiber signals later; the wait blocks under the spinlock.
#include "scenarios/registry.h"
#include "sim/completion.h"
#include "sim/mutex.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(canary_sleep_under_spinlock, "canary/sleep_under_spinlock", .expect = sim::Expect::fail_always,
               .expect_checker = "atomic-sleep", .why = "blocking while a spinlock is held is reported") {
  sim::Spinlock i_lock{"i_lock"};
  sim::Completion io_done{"io_done"};
  s.spawn("waiter", [&] {
    sim::SpinGuard guard(i_lock);
    io_done.wait();
  });
  s.spawn("completer", [&] {
    // Long enough that the waiter has blocked on every schedule.
    sim::sleep(10 * sim::kMs);
    io_done.complete();
  });
  s.run();
}

}  // namespace wbsim::scenarios
