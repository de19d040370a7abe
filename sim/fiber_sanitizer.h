//! What AddressSanitizer must be told about each fiber switch.
//!
//! ASan keeps one stack per thread and, with detect_stack_use_after_return,
//! one "fake stack" of heap frames per thread. A jump to another fiber's
//! stack behind its back makes the first unwind there look like a wild
//! stack-use-after-scope, and frees fake frames still in use. Every switch
//! the scheduler makes is therefore bracketed: `start_switch` just before
//! the jump (naming the stack jumped to, and where to keep the leaving
//! side's fake stack, or null when the leaving fiber dies), `finish_switch`
//! first thing after landing (handing back the fake stack saved when this
//! side left). Without ASan both are empty and inline away.
//!
//! Creating a fiber is bracketed too: Boost.Context jumps into the new
//! stack once, and the frame made there must not come from the creator's
//! fake stack (sim/fiber_switch.cpp lists every jump). `stack` is filled
//! with or without ASan (PooledStack): abandon_fibers returns stacks by it.
#pragma once

#include <cstddef>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define WBSIM_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(WBSIM_ASAN)
#define WBSIM_ASAN 1
#endif

#ifdef WBSIM_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

namespace wbsim::sim {

struct StackBounds {
  const void* bottom = nullptr;  // lowest address
  std::size_t size = 0;
};

// The bookkeeping ASan needs for one side of a switch (a fiber, or the host).
struct FiberAsanState {
  void* fake_stack = nullptr;  // saved while this side is switched out
  StackBounds stack;
};

#ifdef WBSIM_ASAN
inline constexpr bool kAsan = true;
inline void asan_start_switch(FiberAsanState* leaving, const StackBounds& to) {
  __sanitizer_start_switch_fiber(leaving != nullptr ? &leaving->fake_stack : nullptr, to.bottom, to.size);
}
inline void asan_finish_switch(const FiberAsanState& landing, StackBounds* came_from) {
  const void* bottom = nullptr;
  std::size_t size = 0;
  __sanitizer_finish_switch_fiber(landing.fake_stack, &bottom, &size);
  if (came_from != nullptr) *came_from = {bottom, size};
}
// A stack given up without unwinding holds poisoned frames that never
// returned; the next fiber on it must not trip over them.
inline void asan_forget_stack(const StackBounds& stack) { __asan_unpoison_memory_region(stack.bottom, stack.size); }
#else
inline constexpr bool kAsan = false;
inline void asan_start_switch(FiberAsanState*, const StackBounds&) {}
inline void asan_finish_switch(const FiberAsanState&, StackBounds*) {}
inline void asan_forget_stack(const StackBounds&) {}
#endif

}  // namespace wbsim::sim
