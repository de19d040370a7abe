//! Counting semaphore, used for credits (a server's send credits, a
//! mempool's reserve). down(n) takes n units at once or waits for all n.
#pragma once

#include <cstdint>
#include <source_location>
#include <string>

#include "sim/wait_list.h"
#include "sim/wait_object.h"

namespace wbsim::sim {

class Semaphore : public WaitObject {
 public:
  Semaphore(std::string name, std::uint64_t count) : WaitObject("semaphore", std::move(name)), count_(count) {}

  void down(std::uint64_t n = 1, std::source_location loc = std::source_location::current());
  // False if the timeout expired first (nothing taken).
  bool down_timeout(std::uint64_t n, Time timeout, std::source_location loc = std::source_location::current());
  bool try_down(std::uint64_t n = 1);
  void up(std::uint64_t n = 1, std::source_location loc = std::source_location::current());
  std::uint64_t count() const { return count_; }
  std::string state() const override;

 private:
  void take(std::uint64_t n);
  std::uint64_t count_;
  WaitList waiters_;
};

}  // namespace wbsim::sim
