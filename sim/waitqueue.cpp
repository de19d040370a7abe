#include "sim/waitqueue.h"

namespace wbsim::sim {

void WaitQueue::sleep_on(std::source_location loc) {
  waiters_.add(sched_.current_fiber());
  sched_.block(*this, "sleep_on", kNever, WaitKind::normal, loc);
}

void WaitQueue::wake_up(std::source_location loc) {
  sched_.yield_at(id());
  note_signal(sched_.current_fiber(), loc);
  const std::size_t n = waiters_.wake_all(sched_, *this);
  sched_.trace(Reason::wake_up, id(), n);
}

}  // namespace wbsim::sim
