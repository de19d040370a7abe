//! WaitList: the fibers blocked on one object, in arrival order.
//!
//! Waking is by list order (never by address), so it is deterministic. A
//! fiber may be woken spuriously (kthread_stop, wake_up_process); every wait
//! loop re-checks its condition, and add() is idempotent for that reason.
#pragma once

#include <algorithm>
#include <vector>

#include "sim/assert.h"
#include "sim/scheduler.h"

namespace wbsim::sim {

class WaitList {
 public:
  void add(FiberId id) {
    if (std::find(ids_.begin(), ids_.end(), id) == ids_.end()) ids_.push_back(id);
  }
  void remove(FiberId id) {
    auto it = std::find(ids_.begin(), ids_.end(), id);
    if (it != ids_.end()) ids_.erase(it);
  }
  // Wakes every waiter; returns how many there were. wake() only marks a
  // fiber runnable (nothing runs, nothing joins a list), so the list is
  // walked in place and cleared: it keeps its storage for the next waiter,
  // and a contended lock allocates nothing.
  std::size_t wake_all(Scheduler& sched, const WaitObject& by) {
    const std::size_t n = ids_.size();
    for (std::size_t i = 0; i < n; ++i) sched.wake(ids_[i], by);
    SIM_ASSERT_CMP(ids_.size(), ==, n);
    ids_.clear();
    return n;
  }
  // Wakes every waiter but those `stays` keeps asleep, in list order; the
  // kept ones stay on the list. Returns how many were woken.
  template <typename Stays>
  std::size_t wake_all_but(Scheduler& sched, const WaitObject& by, Stays stays) {
    const std::size_t n = ids_.size();
    std::size_t kept = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (stays(ids_[i])) {
        ids_[kept++] = ids_[i];
      } else {
        sched.wake(ids_[i], by);
      }
    }
    SIM_ASSERT_CMP(ids_.size(), ==, n);
    ids_.resize(kept);
    return n - kept;
  }
  bool empty() const { return ids_.empty(); }
  std::size_t size() const { return ids_.size(); }

 private:
  std::vector<FiberId> ids_;
};

// Registers the running fiber's wait condition for the scope of a wait
// (Scheduler::set_wait_condition): a wake-up that finds it false leaves the
// fiber asleep. The condition must be a read with no side effect.
template <typename Done>
class WaitConditionScope {
 public:
  WaitConditionScope(Scheduler& sched, Done& done, ObjectId guard = kNoObject) : sched_(sched) {
    sched_.set_wait_condition([](void* d) { return static_cast<bool>((*static_cast<Done*>(d))()); }, &done, guard);
  }
  ~WaitConditionScope() { sched_.set_wait_condition(nullptr, nullptr); }
  WaitConditionScope(const WaitConditionScope&) = delete;
  WaitConditionScope& operator=(const WaitConditionScope&) = delete;

 private:
  Scheduler& sched_;
};

// Wakes the waiters of `list` whose registered condition holds (and those
// with none), as a wake-up on SMP whose woken tasks run at once: one that
// finds its condition false sleeps again, so a change made after the
// wake-up, even with no scheduling point between, is not seen.
inline std::size_t wake_those_it_concerns(Scheduler& sched, WaitList& list, const WaitObject& by) {
  return list.wake_all_but(sched, by, [&](FiberId id) { return sched.condition_unmet(id); });
}

// Blocks the running fiber on `obj` until `done()` holds, re-checking after
// every wake. Returns false if the deadline passed first. On return the
// fiber is off the list, as after the kernel's finish_wait(): a wake that was
// not the list's (wake_up_process) must not leave it there for a later
// wake_up to cut short whatever it blocks in next.
template <typename Done>
bool wait_until(Scheduler& sched, WaitObject& obj, WaitList& list, const char* op, Done done,
                Time deadline, WaitKind kind, std::source_location loc) {
  if (done()) return true;
  const FiberId me = sched.current_fiber();
  bool in_time = true;
  do {
    list.add(me);
    in_time = sched.block(obj, op, deadline, kind, loc);
  } while (in_time && !done());
  list.remove(me);
  return in_time || done();
}

}  // namespace wbsim::sim
