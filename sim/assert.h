//! Always-on assertions. Inside a simulation a failed assertion is a finding
//! (checker "assertion") reported with the seed, the fiber and a reproduce
//! line; outside one it prints and aborts. They are never compiled out:
//! a release sweep is exactly where they earn their keep.
//!
//!   SIM_ASSERT(cond)
//!   SIM_ASSERT_CMP(a, op, b)       prints both values on failure
//!   SIM_ASSERT_IMPLIES(a, b)       if (a) then (b)
//!   SIM_ASSERT_MSG(cond, fmt, ...) with a formatted explanation
#pragma once

#include <source_location>
#include <string>
#include <type_traits>

#include <fmt/format.h>

namespace wbsim::sim {

[[noreturn]] void assertion_failed(std::string message, std::source_location loc);
// A property checker's failure: like an assertion, but the finding names
// the checker (a stable name a sweep or a --bug test can match).
[[noreturn]] void check_failed(const char* checker, std::string message, std::source_location loc);
// True while a simulation on this thread is unwinding: assertions are off.
bool assertions_suspended();

namespace detail {
template <typename T>
decltype(auto) printable(const T& v) {
  if constexpr (std::is_enum_v<T>) {
    return static_cast<std::underlying_type_t<T>>(v);
  } else {
    return (v);
  }
}
}  // namespace detail

}  // namespace wbsim::sim

#define SIM_ASSERT(cond)                                                                  \
  do {                                                                                    \
    if (!(cond)) [[unlikely]] {                                                           \
      if (!::wbsim::sim::assertions_suspended())                                          \
        ::wbsim::sim::assertion_failed("assertion failed: " #cond,                        \
                                       std::source_location::current());                  \
    }                                                                                     \
  } while (0)

#define SIM_ASSERT_MSG(cond, ...)                                                         \
  do {                                                                                    \
    if (!(cond)) [[unlikely]] {                                                           \
      if (!::wbsim::sim::assertions_suspended())                                          \
        ::wbsim::sim::assertion_failed(                                                   \
            "assertion failed: " #cond ": " + ::fmt::format(__VA_ARGS__),                 \
            std::source_location::current());                                             \
    }                                                                                     \
  } while (0)

// SIM_CHECK("refcount", cond, "R={} holds {} refs", ...): a checker's verdict.
#define SIM_CHECK(checker, cond, ...)                                                     \
  do {                                                                                    \
    if (!(cond)) [[unlikely]] {                                                           \
      if (!::wbsim::sim::assertions_suspended())                                          \
        ::wbsim::sim::check_failed(checker, ::fmt::format(__VA_ARGS__),                   \
                                   std::source_location::current());                      \
    }                                                                                     \
  } while (0)

#define SIM_ASSERT_CMP(a, op, b)                                                          \
  do {                                                                                    \
    const auto& sim_assert_a_ = (a);                                                      \
    const auto& sim_assert_b_ = (b);                                                      \
    if (!(sim_assert_a_ op sim_assert_b_)) [[unlikely]] {                                 \
      if (!::wbsim::sim::assertions_suspended())                                          \
        ::wbsim::sim::assertion_failed(                                                   \
            ::fmt::format("assertion failed: {} {} {} ({} vs {})", #a, #op, #b,           \
                          ::wbsim::sim::detail::printable(sim_assert_a_),                 \
                          ::wbsim::sim::detail::printable(sim_assert_b_)),                \
            std::source_location::current());                                             \
    }                                                                                     \
  } while (0)

#define SIM_ASSERT_IMPLIES(a, b)                                                          \
  do {                                                                                    \
    if ((a) && !(b)) [[unlikely]] {                                                       \
      if (!::wbsim::sim::assertions_suspended())                                          \
        ::wbsim::sim::assertion_failed("assertion failed: (" #a ") implies (" #b ")",     \
                                       std::source_location::current());                  \
    }                                                                                     \
  } while (0)
