//! A finding: what a checker or an assertion reports when a property fails.
#pragma once

#include <cstdint>
#include <source_location>
#include <string>

#include "sim/types.h"

namespace wbsim::sim {

struct Finding {
  std::string checker;  // "deadlock", "livelock", "assertion", ... (stable names)
  std::string message;  // one line
  std::string details;  // multi-line: the wait-for chain, expected vs actual, ...
  std::string where;    // source location, when one is known
  // When `where` is outside the scenario: the scenario line that spawned
  // the fiber it fired in (or that fiber's first ancestor a scenario
  // spawned), "" if none.
  std::string scenario_where;
  Time time = 0;
  std::uint64_t step = 0;
  FiberId fiber = kNoFiber;
  std::string fiber_name;
};

// "FILE:LINE" of a source location, "?" when none is known: a finding's
// `where` and the places a report names.
std::string where(std::source_location loc);

}  // namespace wbsim::sim
