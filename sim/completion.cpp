#include "sim/completion.h"

#include <fmt/format.h>

namespace wbsim::sim {

void Completion::wait(std::source_location loc) {
  sched_.yield_at(id());
  wait_until(sched_, *this, waiters_, "wait_for_completion", [this] { return done_ > 0; }, kNever,
             WaitKind::normal, loc);
  consume();
}

bool Completion::wait_timeout(Time timeout, std::source_location loc) {
  sched_.yield_at(id());
  const bool got = wait_until(sched_, *this, waiters_, "wait_for_completion_timeout",
                              [this] { return done_ > 0; }, sched_.now() + timeout, WaitKind::normal, loc);
  if (got) consume();
  return got;
}

bool Completion::try_wait() {
  sched_.yield_at(id());
  if (done_ == 0) return false;
  consume();
  return true;
}

void Completion::complete(std::source_location loc) {
  sched_.yield_at(id());
  if (done_ != kAll) ++done_;
  note_signal(sched_.current_fiber(), loc);
  sched_.trace(Reason::complete, id(), done_);
  waiters_.wake_all(sched_, *this);
}

void Completion::complete_all(std::source_location loc) {
  sched_.yield_at(id());
  done_ = kAll;
  note_signal(sched_.current_fiber(), loc);
  sched_.trace(Reason::complete, id(), done_);
  waiters_.wake_all(sched_, *this);
}

std::string Completion::state() const {
  return done_ == kAll ? "done=all" : fmt::format("done={}", done_);
}

}  // namespace wbsim::sim
