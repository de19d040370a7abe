#include "sim/waitqueue.h"

namespace wbsim::sim {

void WaitQueue::sleep_on(std::source_location loc) {
  waiters_.add(sched_.current_fiber());
  sched_.block(*this, "sleep_on", kNever, WaitKind::normal, loc);
}

void WaitQueue::wake_up(std::source_location loc) {
  sched_.yield_at(id());
  note_signal(sched_.current_fiber(), loc);
  // A daemon whose condition does not hold yet stays asleep: woken, it
  // could run at once on another CPU, find nothing and sleep again, so a
  // flag set after this wake-up (with no scheduling point between) is lost
  // there. The lost-wakeup check then reports it when the phase ends quiet.
  const std::size_t n = waiters_.wake_all_but(sched_, *this, [&](FiberId id) { return sched_.idle_and_unmet(id); });
  sched_.trace(Reason::wake_up, id(), n);
}

}  // namespace wbsim::sim
