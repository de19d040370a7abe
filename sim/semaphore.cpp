#include "sim/semaphore.h"

#include <fmt/format.h>

namespace wbsim::sim {

void Semaphore::take(std::uint64_t n) {
  count_ -= n;
  sched_.trace(Reason::sem_down, id(), n, count_);
}

void Semaphore::down(std::uint64_t n, std::source_location loc) {
  sched_.yield_at(id());
  wait_until(sched_, *this, waiters_, "down", [&] { return count_ >= n; }, kNever, WaitKind::normal, loc);
  take(n);
}

bool Semaphore::down_timeout(std::uint64_t n, Time timeout, std::source_location loc) {
  sched_.yield_at(id());
  if (!wait_until(sched_, *this, waiters_, "down_timeout", [&] { return count_ >= n; }, sched_.now() + timeout,
                  WaitKind::normal, loc)) {
    return false;
  }
  take(n);
  return true;
}

bool Semaphore::try_down(std::uint64_t n) {
  sched_.yield_at(id());
  if (count_ < n) return false;
  take(n);
  return true;
}

void Semaphore::up(std::uint64_t n, std::source_location loc) {
  sched_.yield_at(id());
  count_ += n;
  note_signal(sched_.current_fiber(), loc);
  sched_.trace(Reason::sem_up, id(), n, count_);
  waiters_.wake_all(sched_, *this);
}

std::string Semaphore::state() const { return fmt::format("count={}", count_); }

}  // namespace wbsim::sim
