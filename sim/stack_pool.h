//! Guard-paged fiber stacks, pooled per OS thread.
//!
//! A sweep starts millions of fibers; mmap+mprotect+munmap for each would
//! cost more than the fiber's whole life. Each simulation thread keeps its
//! own pool of stacks, each with a PROT_NONE guard page below it. A fault in
//! a guard page is reported as a stack overflow of the running fiber (a
//! SIGSEGV handler on an alternate signal stack), not as a bare crash.
#pragma once

#include <boost/context/stack_context.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "sim/fiber_sanitizer.h"

namespace wbsim::sim {

class StackPool {
 public:
  static constexpr std::size_t kDefaultStackBytes = 256 * 1024;

  // The calling thread's pool; also installs the overflow handler and this
  // thread's alternate signal stack on first use.
  static StackPool& for_this_thread();

  boost::context::stack_context allocate();
  void deallocate(boost::context::stack_context& sctx);

  // True when `addr` falls in the guard page of one of this pool's stacks.
  bool in_guard_page(const void* addr) const;
  std::size_t stack_bytes() const { return stack_bytes_; }

  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;
  ~StackPool();

 private:
  explicit StackPool(std::size_t stack_bytes);

  struct Region {
    char* base;  // guard page starts here; the stack is above it
    std::size_t bytes;
  };
  std::size_t stack_bytes_;
  std::size_t page_bytes_;
  std::vector<char*> free_;     // stack bases ready for reuse
  std::vector<Region> regions_; // every mapping this pool owns
};

// Boost.Context StackAllocator over a pool (copied by value into fibers).
// `bounds`, when set, receives the stack's extent (AddressSanitizer is told
// it at every switch to the fiber).
struct PooledStack {
  StackPool* pool;
  StackBounds* bounds = nullptr;
  boost::context::stack_context allocate() {
    boost::context::stack_context sctx = pool->allocate();
    if (bounds != nullptr) *bounds = {static_cast<char*>(sctx.sp) - sctx.size, sctx.size};
    return sctx;
  }
  void deallocate(boost::context::stack_context& sctx) { pool->deallocate(sctx); }
};

// What the overflow handler prints besides the fiber: set by the driver for
// the run in progress on this thread (scenario, seed, reproduce line).
void set_crash_context(std::string text);

}  // namespace wbsim::sim
