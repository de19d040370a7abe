//! A wait's holder for the wait-for graph, for the waits of one scope.
#pragma once

#include "sim/scheduler.h"

namespace wbsim::sim {

// Scheduler::set_wait_holder() for the waits of one scope, cleared when the
// scope ends: no later wait of the fiber reads a holder that is not its own.
// The fiber is the one that made it: a scope unwound at teardown is left
// from another context.
class WaitHolderScope {
 public:
  explicit WaitHolderScope(const FiberId* holder)
      : sched_(Scheduler::current()), fiber_(sched_.current_fiber()) {
    sched_.set_wait_holder(fiber_, holder);
  }
  ~WaitHolderScope() { sched_.set_wait_holder(fiber_, nullptr); }
  WaitHolderScope(const WaitHolderScope&) = delete;
  WaitHolderScope& operator=(const WaitHolderScope&) = delete;

 private:
  Scheduler& sched_;
  FiberId fiber_;
};

}  // namespace wbsim::sim
