#include "sim/rwsem.h"

#include <algorithm>

#include <fmt/format.h>

#include "sim/assert.h"

namespace wbsim::sim {

void RwSem::take_read(std::source_location loc) {
  readers_.push_back(sched_.current_fiber());
  if (readers_.size() == 1) held_at_ = loc;
  sched_.trace(Reason::read_lock, id(), readers_.size());
}

void RwSem::take_write(std::source_location loc) {
  writer_ = sched_.current_fiber();
  held_at_ = loc;
  sched_.trace(Reason::lock, id());
}

void RwSem::down_read(std::source_location loc) {
  sched_.yield_at(id(), /*shared=*/true);
  wait_until(sched_, *this, waiters_, "down_read",
             [this] { return writer_ == kNoFiber && writers_waiting_ == 0; }, kNever, WaitKind::normal, loc);
  take_read(loc);
}

bool RwSem::down_read_trylock(std::source_location loc) {
  sched_.yield_at(id(), /*shared=*/true);
  if (writer_ != kNoFiber || writers_waiting_ > 0) return false;
  take_read(loc);
  return true;
}

void RwSem::up_read(std::source_location loc) {
  sched_.yield_at(id(), /*shared=*/true);
  auto it = std::find(readers_.begin(), readers_.end(), sched_.current_fiber());
  SIM_ASSERT_MSG(it != readers_.end(), "up_read of rwsem '{}' not read-held by this fiber", name());
  readers_.erase(it);
  note_signal(sched_.current_fiber(), loc);
  sched_.trace(Reason::read_unlock, id(), readers_.size());
  waiters_.wake_all(sched_, *this);
}

void RwSem::down_write(std::source_location loc) {
  sched_.yield_at(id());
  SIM_ASSERT_MSG(writer_ != sched_.current_fiber(), "rwsem '{}' write-locked twice", name());
  ++writers_waiting_;
  wait_until(sched_, *this, waiters_, "down_write",
             [this] { return writer_ == kNoFiber && readers_.empty(); }, kNever, WaitKind::normal, loc);
  --writers_waiting_;
  take_write(loc);
}

bool RwSem::down_write_trylock(std::source_location loc) {
  sched_.yield_at(id());
  if (writer_ != kNoFiber || !readers_.empty()) return false;
  take_write(loc);
  return true;
}

void RwSem::up_write(std::source_location loc) {
  sched_.yield_at(id());
  SIM_ASSERT_MSG(writer_ == sched_.current_fiber(), "up_write of rwsem '{}' not write-held by this fiber", name());
  writer_ = kNoFiber;
  note_signal(sched_.current_fiber(), loc);
  sched_.trace(Reason::unlock, id());
  waiters_.wake_all(sched_, *this);
}

void RwSem::downgrade_write(std::source_location loc) {
  sched_.yield_at(id());
  SIM_ASSERT_MSG(writer_ == sched_.current_fiber(), "downgrade_write of rwsem '{}' not write-held by this fiber",
                 name());
  writer_ = kNoFiber;
  readers_.push_back(sched_.current_fiber());
  held_at_ = loc;
  note_signal(sched_.current_fiber(), loc);
  sched_.trace(Reason::downgrade, id(), readers_.size());
  waiters_.wake_all(sched_, *this);
}

std::string RwSem::state() const {
  return fmt::format("readers={} writer={} writers_waiting={}", readers_.size(),
                     writer_ == kNoFiber ? std::string("none") : sched_.fiber_name(writer_), writers_waiting_);
}

ReadGuard::~ReadGuard() noexcept(false) {
  if (!Scheduler::current().tearing_down()) sem_.up_read(loc_);
}

WriteGuard::~WriteGuard() noexcept(false) {
  if (!Scheduler::current().tearing_down()) sem_.up_write(loc_);
}

}  // namespace wbsim::sim
