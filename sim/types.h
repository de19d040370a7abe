//! Basic vocabulary of the runtime: virtual time, fiber ids, units.
//!
//! Virtual time is a count of nanoseconds since the start of a run. It moves
//! only when the scheduler jumps the clock to the next timer; nothing in a
//! simulation reads the wall clock.
#pragma once

#include <cstdint>
#include <limits>

namespace wbsim::sim {

using Time = std::uint64_t;     // virtual nanoseconds
using FiberId = std::uint32_t;  // index into the scheduler's fiber table
using ObjectId = std::uint32_t; // id of a traced object (lock, queue, ...)

inline constexpr Time kNever = std::numeric_limits<Time>::max();
inline constexpr FiberId kNoFiber = std::numeric_limits<FiberId>::max();
inline constexpr ObjectId kNoObject = 0;

inline constexpr Time kNs = 1;
inline constexpr Time kUs = 1000 * kNs;
inline constexpr Time kMs = 1000 * kUs;
inline constexpr Time kSec = 1000 * kMs;

inline constexpr std::uint64_t KiB = 1024;
inline constexpr std::uint64_t MiB = 1024 * KiB;

}  // namespace wbsim::sim
