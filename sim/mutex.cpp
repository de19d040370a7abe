#include "sim/mutex.h"

#include "sim/assert.h"

namespace wbsim::sim {

void Mutex::take(std::source_location loc) {
  owner_ = sched_.current_fiber();
  held_at_ = loc;
  sched_.trace(Reason::lock, id());
}

void Mutex::lock(std::source_location loc) {
  sched_.yield_at(id());
  SIM_ASSERT_MSG(!held_by_me(), "{} '{}' locked twice by the same fiber", kind(), name());
  wait_until(sched_, *this, waiters_, wait_kind_ == WaitKind::spin ? "spin_lock" : "mutex_lock",
             [this] { return owner_ == kNoFiber; }, kNever, wait_kind_, loc);
  take(loc);
}

bool Mutex::trylock(std::source_location loc) {
  sched_.yield_at(id());
  if (owner_ != kNoFiber) return false;
  take(loc);
  return true;
}

void Mutex::unlock(std::source_location loc) {
  sched_.yield_at(id());
  SIM_ASSERT_MSG(held_by_me(), "{} '{}' unlocked by fiber {} but held by {}", kind(), name(),
                 sched_.current_fiber(), owner_);
  owner_ = kNoFiber;
  note_signal(sched_.current_fiber(), loc);
  sched_.trace(Reason::unlock, id());
  waiters_.wake_all(sched_, *this);
}

void Spinlock::lock(std::source_location loc) {
  Mutex::lock(loc);
  if (sched_.in_fiber()) sched_.enter_atomic();
}

bool Spinlock::trylock(std::source_location loc) {
  const bool got = Mutex::trylock(loc);
  if (got && sched_.in_fiber()) sched_.enter_atomic();
  return got;
}

void Spinlock::unlock(std::source_location loc) {
  if (sched_.in_fiber()) sched_.leave_atomic();
  Mutex::unlock(loc);
}

}  // namespace wbsim::sim
