//! Helpers shared by the netfs scenarios. What the scenarios once checked
//! themselves (quiescence, references, the server against a shadow of the
//! application's writes) is the checkers' job now (checkers/, run for every
//! scenario), and the liveness phase is Context::liveness_phase.
#pragma once

#include <cstdint>
#include <vector>

#include "model/world.h"
#include "scenarios/registry.h"
#include "sim/assert.h"

namespace wbsim::scenarios {

// Bytes of write number `tag`: never zero, so a hole on the server (zeros)
// can never pass for written data.
inline std::vector<std::uint8_t> pattern(std::uint32_t tag, std::uint64_t len) {
  std::vector<std::uint8_t> v(len);
  for (std::uint64_t i = 0; i < len; ++i) v[i] = static_cast<std::uint8_t>(1 + (tag * 131 + i * 7) % 255);
  return v;
}

}  // namespace wbsim::scenarios
