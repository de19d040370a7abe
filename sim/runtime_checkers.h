//! The runtime's own checkers (docs/checkers.md): what the scheduler itself
//! asserts of every run, whatever it models.
#pragma once

#include "sim/checker.h"

namespace wbsim::sim {

WBSIM_CHECKER(kCheckDeadlock, "deadlock",
              "no wait-for cycle closes (partial form, at every block) and a phase never ends with a blocked fiber");
WBSIM_CHECKER(kCheckLivelock, "livelock", "every phase ends within its step and virtual-time budgets, and no run goes round the same steps while virtual time stands still");
WBSIM_CHECKER(kCheckAtomicSleep, "atomic-sleep", "no sleeping wait while a spinlock is held");
WBSIM_CHECKER(kCheckLostWakeup, "lost-wakeup",
              "a phase never ends quiet with a daemon asleep in wait_event_idle whose condition holds");

}  // namespace wbsim::sim
