//! Mutex and spinlock.
//!
//! A sleeping mutex: unlock wakes every waiter and they contend again, so the
//! strategy (not arrival order) decides who gets it next; the kernel's
//! optimistic spinning and hand-off are not modelled. A spinlock is the same
//! lock plus atomic context: blocking on a sleeping primitive while holding
//! one is a finding ("atomic-sleep"), as the kernel's might_sleep() reports.
#pragma once

#include <source_location>
#include <string>

#include "sim/wait_list.h"
#include "sim/wait_object.h"

namespace wbsim::sim {

class Mutex : public WaitObject {
 public:
  explicit Mutex(std::string name) : Mutex("mutex", std::move(name), WaitKind::normal) {}

  void lock(std::source_location loc = std::source_location::current());
  bool trylock(std::source_location loc = std::source_location::current());
  void unlock(std::source_location loc = std::source_location::current());

  bool is_locked() const { return owner_ != kNoFiber; }
  bool held_by_me() const { return owner_ == sched_.current_fiber() && owner_ != kNoFiber; }
  FiberId holder() const override { return owner_; }
  std::source_location held_at() const override { return held_at_; }

 protected:
  Mutex(const char* kind, std::string name, WaitKind wait_kind)
      : WaitObject(kind, std::move(name)), wait_kind_(wait_kind) {}
  void take(std::source_location loc);

 private:
  WaitKind wait_kind_;
  FiberId owner_ = kNoFiber;
  std::source_location held_at_{};
  WaitList waiters_;
};

class Spinlock : public Mutex {
 public:
  explicit Spinlock(std::string name) : Mutex("spinlock", std::move(name), WaitKind::spin) {}
  void lock(std::source_location loc = std::source_location::current());
  bool trylock(std::source_location loc = std::source_location::current());
  void unlock(std::source_location loc = std::source_location::current());
};

// RAII holders. On unwinding at teardown the lock may already be gone with
// its owner, so the destructors touch nothing then. The destructor may
// throw: unlock() is a scheduling point, and a fiber parked there when its
// owner kills it is unwound by an exception thrown from that point (a
// noexcept destructor would terminate the process instead).
template <typename Lock>
class Guard {
 public:
  explicit Guard(Lock& lock, std::source_location loc = std::source_location::current())
      : lock_(lock), loc_(loc) {
    lock_.lock(loc);
  }
  ~Guard() noexcept(false) {
    if (!Scheduler::current().tearing_down()) lock_.unlock(loc_);
  }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

 private:
  Lock& lock_;
  std::source_location loc_;
};
using MutexGuard = Guard<Mutex>;
using SpinGuard = Guard<Spinlock>;

}  // namespace wbsim::sim
