//! A livelock found when it starts, not when the step budget runs out: the
//! run going round the same steps while virtual time stands still.
//!
//! Virtual time moves only when no fiber can run, so a fiber that spins
//! (yields in a loop, waiting for what nobody will do) stops the clock. A
//! step is what one fiber did between two scheduling points: the fiber and
//! the trace records it made, every field but the step number and the time
//! (sim/trace.h). When the last `kWindow` steps of a stretch with the clock
//! standing still repeat with a period of at most `kMaxPeriod` steps, every
//! observable transition of the run is the one it made `period` steps
//! before, over and over: the run is going round, and nothing it can reach
//! from there will be new. The step budget stays the backstop for a spin
//! that does not repeat exactly (two fibers spinning under a random
//! schedule, a loop that traces a counter).
//!
//! The watch only starts after `kQuietSteps` steps without the clock
//! moving, so a run that is not spinning pays one comparison per step. A
//! bounded loop with hidden state (a retry counter it does not trace) that
//! goes round identically more than kQuietSteps + kWindow times would be
//! taken for a livelock; none in the model does, and the 2000-seed sweeps
//! keep it so.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "sim/types.h"

namespace wbsim::sim {

class RepeatWatch {
 public:
  static constexpr std::uint64_t kQuietSteps = 1024;
  static constexpr std::size_t kWindow = 1024;
  static constexpr std::size_t kMaxPeriod = 64;

  // A step ended: `fiber` ran it and `signature` folds what it traced.
  // Returns the period once the last kWindow steps repeat with one, else 0.
  // Checked each time the window fills, so a check costs one pass over it.
  std::size_t add(FiberId fiber, std::uint64_t signature);
  void reset() { count_ = 0; }
  // The fiber that ran the step `back` steps before the last one added.
  FiberId fiber_back(std::size_t back) const { return fibers_[(count_ - 1 - back) % kWindow]; }

 private:
  std::size_t period() const;

  std::uint64_t count_ = 0;
  std::array<std::uint64_t, kWindow> signatures_;
  std::array<FiberId, kWindow> fibers_;
};

}  // namespace wbsim::sim
