#include "sim/waitqueue.h"

namespace wbsim::sim {

void WaitQueue::sleep_on(std::source_location loc) {
  waiters_.add(sched_.current_fiber());
  sched_.block(*this, "sleep_on", kNever, WaitKind::normal, loc);
}

void WaitQueue::wake_up(std::source_location loc) {
  sched_.yield_at(id());
  note_signal(sched_.current_fiber(), loc);
  // A waiter whose condition does not hold yet stays asleep: woken, it
  // could run at once on another CPU, find nothing and sleep again, so a
  // change made after this wake-up (even with no scheduling point between)
  // is lost there. lost-wakeup reports a daemon so left when the phase
  // ends quiet, deadlock any other waiter.
  const std::size_t n = wake_those_it_concerns(sched_, waiters_, *this);
  sched_.trace(Reason::wake_up, id(), n);
}

}  // namespace wbsim::sim
