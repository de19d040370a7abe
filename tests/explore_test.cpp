// wbsim explore's search (scenarios/explore.h): the sleep-set reduction
// keeps every sim scenario's verdict with no more schedules, finds the two
// planted races within two preemptions, and exhausts the small sim
// scenarios where the bounded space fits (docs/runtime.md has the figures);
// and the footprint a wait_event_under check records.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "scenarios/explore.h"
#include "scenarios/registry.h"
#include "sim/mutex.h"
#include "sim/run.h"
#include "sim/scheduler.h"
#include "sim/waitqueue.h"

namespace wbsim {
namespace {

using Params = std::vector<std::pair<std::string, std::int64_t>>;

scenarios::ExploreResult explore(const std::string& name, unsigned bound, bool reduction,
                                 std::uint64_t max_schedules, const Params& params = {}) {
  const scenarios::Scenario* s = scenarios::find_scenario(name);
  EXPECT_NE(s, nullptr) << name;
  scenarios::ExploreOptions o;
  o.preemption_bound = bound;
  o.reduction = reduction;
  o.max_schedules = max_schedules;
  o.composition.params = params;
  return scenarios::explore(*s, o);
}

struct Case {
  const char* scenario;
  unsigned bound;  // the full search (no reduction) ends within the cap
  bool fails;      // the bound reaches the planted race
  Params params;
};

const std::vector<Case>& cases() {
  static const std::vector<Case> kCases = {
      {"sim/abba_race", 0, false, {}},
      {"sim/abba_race", 1, true, {}},
      {"sim/abba_race", 2, true, {}},
      {"sim/lost_wakeup", 1, true, {}},
      {"sim/lost_wakeup", 2, true, {}},
      {"sim/kthread_stop", 2, false, {}},
      {"sim/timeout_wait", 2, false, {}},
      {"sim/workqueue_flush", 2, false, {}},
      {"sim/wait_event_wakeup", 2, false, {}},
      {"sim/bit_lock", 2, false, {}},
      {"sim/credits_producer_consumer", 0, false, {}},
      {"sim/credits_producer_consumer", 1, false, {{"items", 8}}},
      {"sim/credits_producer_consumer", 2, false, {{"items", 4}}},
      {"sim/rwsem_readers_writer", 1, false, {{"reads", 1}, {"writes", 1}}},
      {"sim/rwsem_readers_writer", 2, false, {{"reads", 1}, {"writes", 1}}},
      {"sim/rwsem_readers_writer", 0, false, {{"reads", 2}, {"writes", 1}}},
  };
  return kCases;
}

TEST(explore, reduction_keeps_the_verdict_with_no_more_schedules) {
  for (const Case& c : cases()) {
    SCOPED_TRACE(testing::Message() << c.scenario << " bound " << c.bound << " params " << c.params.size());
    const scenarios::ExploreResult full = explore(c.scenario, c.bound, false, 100000, c.params);
    const scenarios::ExploreResult reduced = explore(c.scenario, c.bound, true, 100000, c.params);
    EXPECT_FALSE(full.reduced);
    EXPECT_EQ(full.failure.has_value(), c.fails);
    EXPECT_EQ(reduced.failure.has_value(), c.fails);
    if (c.fails && full.failure && reduced.failure) {
      EXPECT_EQ(full.failure->finding->checker, reduced.failure->finding->checker);
    }
    if (!c.fails) {
      EXPECT_TRUE(full.exhausted);
      EXPECT_TRUE(reduced.exhausted);
    }
    EXPECT_LE(reduced.schedules, full.schedules);
  }
}

TEST(explore, sleeping_readers_cut_the_rwsem_search_tenfold) {
  // Read-side rwsem operations and sleeps commute, and a reader sleeps with
  // its whole run to its next block — the step that ends at the next
  // up_read or down_read included — so the reduced search of 3 readers and
  // a writer, one round each, runs under a tenth of the full one's
  // schedules at bound 2 (with single steps that end blocked only, 2.4x).
  const Params one_round = {{"reads", 1}, {"writes", 1}};
  const scenarios::ExploreResult full = explore("sim/rwsem_readers_writer", 2, false, 100000, one_round);
  const scenarios::ExploreResult reduced = explore("sim/rwsem_readers_writer", 2, true, 100000, one_round);
  ASSERT_TRUE(full.exhausted && reduced.exhausted);
  EXPECT_TRUE(reduced.reduced);
  EXPECT_GT(reduced.pruned, 0u);
  EXPECT_LT(reduced.schedules * 10, full.schedules);
}

TEST(explore, wait_event_under_checks_read_their_guard_at_every_wake) {
  // The waiter's first check and its re-check after the wake-up both act on
  // the queue and read the guard (shared): what lets them sleep beside
  // steps that touch neither, and wakes them at the write under the lock.
  bool rechecked = false;
  for (std::uint64_t seed = 1; seed <= 64 && !rechecked; ++seed) {
    sim::SchedulerConfig config;
    config.seed = seed;
    config.record_footprints = true;
    sim::ObjectId queue_id = sim::kNoObject;
    sim::ObjectId guard_id = sim::kNoObject;
    const sim::RunResult r = sim::run_simulation(
        config, /*faults=*/false,
        [&](sim::Scheduler& s) {
          sim::WaitQueue wq{"wq"};
          sim::Mutex lock{"lock"};
          queue_id = wq.id();
          guard_id = lock.id();
          int flag = 0;
          s.spawn("waiter", [&] { wq.wait_event_under(lock, [&] { return flag != 0; }); });
          s.spawn("setter", [&] {
            lock.lock();
            flag = 1;
            lock.unlock();
            wq.wake_up();
          });
          s.spawn("bystander", [&] {
            for (int i = 0; i < 8; ++i) sim::yield();
          });
          s.run();
        },
        "");
    ASSERT_FALSE(r.finding.has_value());
    int checks = 0;
    for (const sim::StepFootprint& fp : r.footprints) {
      const auto in = [](const std::vector<sim::ObjectId>& v, sim::ObjectId o) {
        return std::find(v.begin(), v.end(), o) != v.end();
      };
      if (!in(fp.shared, guard_id)) continue;
      EXPECT_FALSE(fp.unknown);
      EXPECT_TRUE(in(fp.shared, queue_id) || in(fp.objects, queue_id));
      ++checks;
    }
    rechecked = checks >= 2;
  }
  EXPECT_TRUE(rechecked);
}

TEST(explore, finds_the_planted_races_within_two_preemptions) {
  for (const char* name : {"sim/abba_race", "sim/lost_wakeup"}) {
    for (const unsigned bound : {1u, 2u}) {
      const scenarios::ExploreResult x = explore(name, bound, true, 1000);
      ASSERT_TRUE(x.failure.has_value()) << name;
      EXPECT_EQ(x.failure->finding->checker, "deadlock") << name;
      EXPECT_LE(x.failure_preemptions, bound) << name;
    }
  }
}

TEST(explore, exhausts_the_small_sim_scenarios) {
  struct Want {
    const char* scenario;
    unsigned bound;
    Params params;
  };
  const Want wants[] = {
      {"sim/kthread_stop", 2, {}},
      {"sim/timeout_wait", 2, {}},
      {"sim/workqueue_flush", 2, {}},
      {"sim/wait_event_wakeup", 2, {}},
      {"sim/bit_lock", 2, {}},
      {"sim/credits_producer_consumer", 0, {}},
      {"sim/credits_producer_consumer", 2, {{"items", 4}}},
      {"sim/rwsem_readers_writer", 2, {{"reads", 1}, {"writes", 1}}},
      {"sim/rwsem_readers_writer", 0, {{"reads", 2}, {"writes", 2}}},
      {"sim/rwsem_readers_writer", 0, {}},
  };
  for (const Want& w : wants) {
    const scenarios::ExploreResult x = explore(w.scenario, w.bound, true, 200000, w.params);
    EXPECT_FALSE(x.failure.has_value()) << w.scenario;
    EXPECT_TRUE(x.exhausted) << w.scenario << ": " << x.schedules << " schedules, " << x.branches_left << " left";
  }
}

}  // namespace
}  // namespace wbsim
