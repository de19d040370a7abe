//! Completion: complete / complete_all / wait_for_completion.
#pragma once

#include <cstdint>
#include <limits>
#include <source_location>
#include <string>

#include "sim/wait_list.h"
#include "sim/wait_object.h"

namespace wbsim::sim {

class Completion : public WaitObject {
 public:
  explicit Completion(std::string name) : WaitObject("completion", std::move(name)) {}

  void wait(std::source_location loc = std::source_location::current());
  // False if the timeout expired before a completion arrived.
  bool wait_timeout(Time timeout, std::source_location loc = std::source_location::current());
  bool try_wait();
  void complete(std::source_location loc = std::source_location::current());
  void complete_all(std::source_location loc = std::source_location::current());
  void reinit() { done_ = 0; }
  bool done() const { return done_ > 0; }
  std::string state() const override;

 private:
  static constexpr std::uint32_t kAll = std::numeric_limits<std::uint32_t>::max();
  void consume() {
    if (done_ != kAll) --done_;
  }
  std::uint32_t done_ = 0;
  WaitList waiters_;
};

}  // namespace wbsim::sim
