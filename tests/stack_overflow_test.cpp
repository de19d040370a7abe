// A fiber that runs off the end of its stack hits the guard page, and the
// report names the fiber and the reproduce line instead of a bare SIGSEGV.
#include <gtest/gtest.h>

#include "sim/run.h"

namespace wbsim::sim {
namespace {

// Each frame holds a buffer the compiler cannot drop, so the recursion really
// consumes stack until the guard page.
[[gnu::noinline]] std::uint64_t deep(std::uint64_t n) {
  volatile char frame[512];
  frame[0] = static_cast<char>(n);
  if (n == 0) return frame[0];
  return deep(n - 1) + frame[n % sizeof frame == 0 ? 1 : 0];
}

void overflow_in_fiber() {
  SchedulerConfig config;
  run_simulation(
      config, false,
      [](Scheduler& s) {
        s.spawn("recursor", [] { deep(1u << 20); });
        s.run();
      },
      "reproduce: wbsim run test/overflow --seed 1\n");
}

TEST(StackOverflowDeathTest, guard_page_hit_is_reported_with_fiber_and_reproduce_line) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(overflow_in_fiber(), ::testing::ExitedWithCode(1),
              "FAIL stack-overflow: fiber 'recursor' overflowed its 256 KiB stack(.|\n)*reproduce: wbsim run "
              "test/overflow --seed 1");
}

}  // namespace
}  // namespace wbsim::sim
