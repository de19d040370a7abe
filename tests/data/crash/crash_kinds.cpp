// Scenarios that die in every way a run can, for tests/crash_isolation_test.sh
// only (compiled with `--script`, never part of wbsim's own list). Each
// fails on the seeds divisible by 3 and passes on the others, so a test can
// tell that the finding belongs to its seed and that the sweep went on.
#include <cstdint>
#include <cstdlib>
#include <stdexcept>

#include "scenarios/registry.h"
#include "sim/assert.h"

namespace {
using namespace wbsim;

bool dies(scenarios::Context& s) { return s.sched().seed() % 3 == 0; }

// Each frame holds a buffer the compiler cannot drop, and a million of
// them pass any guard page.
[[gnu::noinline]] int recurse(int depth) {
  volatile char frame[512];
  frame[0] = static_cast<char>(depth);
  if (depth == 0) return frame[0];
  return recurse(depth - 1) + frame[depth % sizeof frame == 0 ? 1 : 0];
}

WBSIM_SCENARIO(host_exception, "crash/host_exception", .faults = false) {
  s.spawn("idle", [] {});
  if (dies(s)) throw std::runtime_error("host code gave up");
  s.run();
}

WBSIM_SCENARIO(fiber_throws_int, "crash/fiber_throws_int", .faults = false) {
  const bool die = dies(s);
  s.spawn("thrower", [die] {
    if (die) throw 42;
  });
  s.run();
}

WBSIM_SCENARIO(fiber_null_deref, "crash/fiber_null_deref", .faults = false) {
  const bool die = dies(s);
  s.spawn("deref", [die] {
    // Into the null page, through an address UBSan does not check (a
    // pointer it sees as null is its report, not a signal).
    volatile std::uintptr_t address = 16;
    if (die) *reinterpret_cast<volatile int*>(address) = 1;
  });
  s.run();
}

WBSIM_SCENARIO(fiber_stack_overflow, "crash/fiber_stack_overflow", .faults = false) {
  const bool die = dies(s);
  s.spawn("recurser", [die] {
    if (die) recurse(1 << 20);
  });
  s.run();
}

WBSIM_SCENARIO(fiber_abort, "crash/fiber_abort", .faults = false) {
  const bool die = dies(s);
  s.spawn("aborter", [die] {
    if (die) std::abort();
  });
  s.run();
}

WBSIM_SCENARIO(fiber_assertion, "crash/fiber_assertion", .faults = false) {
  const bool die = dies(s);
  s.spawn("asserter", [die] { SIM_ASSERT(!die); });
  s.run();
}

}  // namespace
