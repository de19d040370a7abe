#include "sim/repeat_watch.h"

namespace wbsim::sim {

std::size_t RepeatWatch::add(FiberId fiber, std::uint64_t signature) {
  const std::size_t i = count_ % kWindow;
  // The fiber is part of the step: the same records made by another fiber
  // are another transition.
  signatures_[i] = signature ^ (std::uint64_t{fiber} + 1) * 0x94d049bb133111ebULL;
  fibers_[i] = fiber;
  ++count_;
  if (count_ % kWindow != 0) return 0;
  return period();
}

// The least p with every step equal to the one p before it, over the whole
// window (which is in order here: it was just filled from slot 0).
std::size_t RepeatWatch::period() const {
  for (std::size_t p = 1; p <= kMaxPeriod; ++p) {
    std::size_t i = p;
    while (i < kWindow && signatures_[i] == signatures_[i - p]) ++i;
    if (i == kWindow) return p;
  }
  return 0;
}

}  // namespace wbsim::sim
