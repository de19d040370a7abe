//! Read-write semaphore. Writers are preferred: once a writer waits, new
//! readers queue behind it, as with the kernel's rwsem (which is why a
//! recursive down_read can deadlock against a waiting writer, and the model
//! keeps that property).
#pragma once

#include <source_location>
#include <string>
#include <vector>

#include "sim/wait_list.h"
#include "sim/wait_object.h"

namespace wbsim::sim {

class RwSem : public WaitObject {
 public:
  explicit RwSem(std::string name) : WaitObject("rwsem", std::move(name)) {}

  void down_read(std::source_location loc = std::source_location::current());
  bool down_read_trylock(std::source_location loc = std::source_location::current());
  void up_read(std::source_location loc = std::source_location::current());
  void down_write(std::source_location loc = std::source_location::current());
  bool down_write_trylock(std::source_location loc = std::source_location::current());
  void up_write(std::source_location loc = std::source_location::current());
  // downgrade_write(): the writer keeps the lock as a reader, atomically (no
  // other writer can slip in), and readers queued behind it may now enter
  // unless another writer waits.
  void downgrade_write(std::source_location loc = std::source_location::current());

  std::size_t readers() const { return readers_.size(); }
  bool write_locked() const { return writer_ != kNoFiber; }
  FiberId holder() const override { return writer_ != kNoFiber ? writer_ : readers_.empty() ? kNoFiber : readers_[0]; }
  std::source_location held_at() const override { return held_at_; }
  std::string state() const override;

 private:
  void take_read(std::source_location loc);
  void take_write(std::source_location loc);
  FiberId writer_ = kNoFiber;
  std::vector<FiberId> readers_;
  std::uint32_t writers_waiting_ = 0;
  std::source_location held_at_{};
  WaitList waiters_;
};

// RAII holders, with the same teardown rule as Guard (sim/mutex.h).
class ReadGuard {
 public:
  explicit ReadGuard(RwSem& sem, std::source_location loc = std::source_location::current()) : sem_(sem), loc_(loc) {
    sem_.down_read(loc);
  }
  ~ReadGuard() noexcept(false);
  ReadGuard(const ReadGuard&) = delete;
  ReadGuard& operator=(const ReadGuard&) = delete;

 private:
  RwSem& sem_;
  std::source_location loc_;
};

class WriteGuard {
 public:
  explicit WriteGuard(RwSem& sem, std::source_location loc = std::source_location::current()) : sem_(sem), loc_(loc) {
    sem_.down_write(loc);
  }
  ~WriteGuard() noexcept(false);
  WriteGuard(const WriteGuard&) = delete;
  WriteGuard& operator=(const WriteGuard&) = delete;

 private:
  RwSem& sem_;
  std::source_location loc_;
};

}  // namespace wbsim::sim
