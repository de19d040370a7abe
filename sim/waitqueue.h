//! WaitQueue: wait_event / wake_up.
//!
//! wait_event checks its condition and blocks with no scheduling point in
//! between, as prepare_to_wait + check + schedule does in the kernel, so a
//! correct waiter cannot lose a wake-up. `sleep_on` is the raw building block
//! (block until any wake_up), for modelling open-coded waits that can.
#pragma once

#include <source_location>
#include <string>

#include "sim/wait_list.h"
#include "sim/wait_object.h"

namespace wbsim::sim {

class WaitQueue : public WaitObject {
 public:
  explicit WaitQueue(std::string name) : WaitObject("waitqueue", std::move(name)) {}

  template <typename Cond>
  void wait_event(Cond cond, std::source_location loc = std::source_location::current()) {
    sched_.yield();
    WaitConditionScope scope(sched_, cond);
    wait_until(sched_, *this, waiters_, "wait_event", cond, kNever, WaitKind::normal, loc);
  }
  // wait_event whose condition reads only state that every fiber writes in
  // a step acting on `guard` or on this queue: right after an exclusive
  // operation on one of them (not an rwsem's read side), with no scheduling
  // point in between (under `guard`, a lock whose critical section has no
  // other one). Explore's reduction then knows what the checks read
  // (docs/runtime.md); the scenario vouches for it.
  template <typename Cond>
  void wait_event_under(const WaitObject& guard, Cond cond,
                        std::source_location loc = std::source_location::current()) {
    sched_.yield_reading(id(), /*shared=*/true, guard.id());
    WaitConditionScope scope(sched_, cond, guard.id());
    wait_until(sched_, *this, waiters_, "wait_event", cond, kNever, WaitKind::normal, loc);
  }
  // Returns whether the condition held (false: the timeout expired first).
  template <typename Cond>
  bool wait_event_timeout(Cond cond, Time timeout, std::source_location loc = std::source_location::current()) {
    sched_.yield();
    WaitConditionScope scope(sched_, cond);
    return wait_until(sched_, *this, waiters_, "wait_event_timeout", cond, sched_.now() + timeout,
                      WaitKind::normal, loc);
  }
  // A daemon waiting for work: not counted as a deadlock when all is quiet,
  // but a lost wake-up if its condition holds then. So the condition must be
  // free of side effects: the phase's end reads it again, from outside.
  template <typename Cond>
  void wait_event_idle(Cond cond, std::source_location loc = std::source_location::current()) {
    sched_.yield();
    WaitConditionScope scope(sched_, cond);
    wait_until(sched_, *this, waiters_, "wait_event_idle", cond, kNever, WaitKind::idle, loc);
  }
  // Blocks until the next wake_up, whatever the state.
  void sleep_on(std::source_location loc = std::source_location::current());

  void wake_up(std::source_location loc = std::source_location::current());
  bool has_sleeper() const { return !waiters_.empty(); }

 private:
  WaitList waiters_;
};

}  // namespace wbsim::sim
