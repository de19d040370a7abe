// wbsim explore's search (scenarios/explore.h): the sleep-set reduction
// keeps every small sim scenario's verdict with no more schedules, finds the
// two planted races within two preemptions, and exhausts every small sim
// scenario (at most 4 fibers).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "scenarios/explore.h"
#include "scenarios/registry.h"

namespace wbsim {
namespace {

scenarios::ExploreResult explore(const std::string& name, unsigned bound, bool reduction,
                                 std::uint64_t max_schedules) {
  const scenarios::Scenario* s = scenarios::find_scenario(name);
  EXPECT_NE(s, nullptr) << name;
  scenarios::ExploreOptions o;
  o.preemption_bound = bound;
  o.reduction = reduction;
  o.max_schedules = max_schedules;
  return scenarios::explore(*s, o);
}

struct Case {
  const char* scenario;
  unsigned bound;  // the reduced and the full search both end within the cap
  bool fails;      // the bound reaches the planted race
};

// Every sim scenario; the bounds are the largest at which the full search
// (no reduction) ends within 200,000 schedules.
const Case kCases[] = {
    {"sim/abba_race", 0, false},         {"sim/abba_race", 1, true},
    {"sim/abba_race", 2, true},          {"sim/lost_wakeup", 1, true},
    {"sim/lost_wakeup", 2, true},        {"sim/kthread_stop", 2, false},
    {"sim/timeout_wait", 2, false},      {"sim/workqueue_flush", 2, false},
    {"sim/wait_event_wakeup", 2, false}, {"sim/bit_lock", 2, false},
    {"sim/rwsem_readers_writer", 1, false}, {"sim/credits_producer_consumer", 0, false},
};

TEST(explore, reduction_keeps_the_verdict_with_no_more_schedules) {
  for (const Case& c : kCases) {
    SCOPED_TRACE(testing::Message() << c.scenario << " bound " << c.bound);
    const scenarios::ExploreResult full = explore(c.scenario, c.bound, false, 200000);
    const scenarios::ExploreResult reduced = explore(c.scenario, c.bound, true, 200000);
    EXPECT_FALSE(full.reduced);
    EXPECT_EQ(full.failure.has_value(), c.fails);
    EXPECT_EQ(reduced.failure.has_value(), c.fails);
    if (c.fails) {
      EXPECT_EQ(full.failure->finding->checker, reduced.failure->finding->checker);
    } else {
      EXPECT_TRUE(full.exhausted);
      EXPECT_TRUE(reduced.exhausted);
    }
    EXPECT_LE(reduced.schedules, full.schedules);
  }
}

TEST(explore, finds_the_planted_races_within_two_preemptions) {
  for (const char* name : {"sim/abba_race", "sim/lost_wakeup"}) {
    const scenarios::ExploreResult x = explore(name, 2, true, 1000);
    ASSERT_TRUE(x.failure.has_value()) << name;
    EXPECT_EQ(x.failure->finding->checker, "deadlock") << name;
    EXPECT_LE(x.failure_preemptions, 2u) << name;
  }
}

TEST(explore, exhausts_every_small_sim_scenario_at_bound_two) {
  for (const char* name : {"sim/kthread_stop", "sim/timeout_wait", "sim/workqueue_flush", "sim/wait_event_wakeup",
                           "sim/bit_lock", "sim/rwsem_readers_writer", "sim/credits_producer_consumer"}) {
    const scenarios::ExploreResult x = explore(name, 2, true, 200000);
    EXPECT_FALSE(x.failure.has_value()) << name;
    EXPECT_TRUE(x.exhausted) << name << ": " << x.schedules << " schedules, " << x.branches_left << " left";
  }
}

}  // namespace
}  // namespace wbsim
