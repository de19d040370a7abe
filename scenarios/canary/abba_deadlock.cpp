// Why: the harness must report a lock-order inversion as a deadlock, with the
//      wait-for chain and the cycle. If this canary ever passes, the deadlock
//      checker or the scheduler is broken, and every green sweep is suspect.
// How: two fibers take two mutexes in opposite order; a rendezvous after the
//      first lock makes the inversion certain on every seed and schedule.
#include "scenarios/registry.h"
#include "sim/completion.h"
#include "sim/mutex.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(canary_abba_deadlock, "canary/abba_deadlock", .expect = sim::Expect::fail_always,
               .expect_checker = "deadlock", .why = "two mutexes taken in opposite order must deadlock") {
  sim::Mutex inode_lock{"inode_lock"};
  sim::Mutex folio_lock{"folio_lock"};
  sim::Completion left_holds{"left_holds"};
  sim::Completion right_holds{"right_holds"};
  s.spawn("left", [&] {
    inode_lock.lock();
    left_holds.complete();
    right_holds.wait();
    folio_lock.lock();
  });
  s.spawn("right", [&] {
    folio_lock.lock();
    right_holds.complete();
    left_holds.wait();
    inode_lock.lock();
  });
  s.run();
}

}  // namespace wbsim::scenarios
