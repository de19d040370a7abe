// Regression tests, each named after the runtime bug it guards against.
#include <gtest/gtest.h>

#include <set>

#include "sim/completion.h"
#include "sim/kthread.h"
#include "sim/waitqueue.h"
#include "sim/workqueue.h"
#include "tests/sim_test_util.h"

namespace wbsim::test {
namespace {

// A kthread woken by kthread_stop while in a wait_event stayed on the
// queue's wait list; a later unrelated wake_up then ended its next sleep
// early. Waits must leave the list on return, as finish_wait() does.
TEST(Regression, stray_wake_does_not_leave_a_waiter_on_the_list) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    sim::Time slept_until = 0;
    const auto r = run_sim(
        [&](sim::Scheduler& s) {
          sim::WaitQueue wq{"wq"};
          sim::Kthread kt("kt", [&](sim::Kthread& self) {
            wq.wait_event_idle([&] { return self.should_stop(); });
            sim::sleep(10 * sim::kMs);
            slept_until = sim::now();
          });
          s.spawn("stopper", [&] {
            sim::sleep(sim::kMs);
            kt.stop();
          });
          s.spawn("poker", [&] {
            sim::sleep(2 * sim::kMs);
            wq.wake_up();
          });
          s.run();
        },
        seed);
    ASSERT_FALSE(r.finding) << r.finding->message;
    EXPECT_EQ(slept_until, 11 * sim::kMs) << "seed " << seed;
  }
}

// A sleep is not cut short by wake_up_process either (msleep semantics).
TEST(Regression, wake_up_process_does_not_end_a_sleep) {
  sim::Time woke_at = 0;
  const auto r = run_sim([&](sim::Scheduler& s) {
    sim::Kthread kt("sleeper", [&](sim::Kthread&) {
      sim::sleep(5 * sim::kMs);
      woke_at = sim::now();
    });
    s.spawn("waker", [&] {
      sim::sleep(sim::kMs);
      kt.wake_up_process();
    });
    s.run();
  });
  ASSERT_FALSE(r.finding);
  EXPECT_EQ(woke_at, 5 * sim::kMs);
}

// Two items queued before the first worker ran were run one after the
// other on a max_active=2 queue, so an item waiting for a later one
// deadlocked. A worker that exists but has not started is not free twice.
TEST(Regression, burst_of_work_gets_a_worker_per_item_up_to_max_active) {
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const auto r = run_sim(
        [&](sim::Scheduler& s) {
          sim::Workqueue wq{"wq", 2};
          sim::Completion c{"b_done"};
          sim::Work a("a", [&] { c.wait(); });
          sim::Work b("b", [&] { c.complete(); });
          s.spawn("submitter", [&] {
            wq.queue_work(a);
            wq.queue_work(b);
            wq.flush();
          });
          s.run();
        },
        seed);
    ASSERT_FALSE(r.finding) << "seed " << seed << ": " << r.finding->message << "\n" << r.finding->details;
  }
}

// The hash left out which fiber ran between traced events, so a lost
// update and a clean run could hash the same. It now covers the tape.
TEST(Regression, runs_with_different_schedules_have_different_hashes) {
  std::set<std::vector<std::uint32_t>> tapes;
  std::set<std::uint64_t> hashes;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    int counter = 0;
    const auto r = run_sim(
        [&](sim::Scheduler& s) {
          for (int f = 0; f < 2; ++f) {
            s.spawn("inc", [&] {
              sim::yield();
              const int seen = counter;
              sim::yield();
              counter = seen + 1;
              sim::yield();
            });
          }
          s.run();
        },
        seed);
    tapes.insert(r.tape.choices());
    hashes.insert(r.trace_hash);
  }
  EXPECT_GT(tapes.size(), 1u);
  EXPECT_EQ(hashes.size(), tapes.size());
}

}  // namespace
}  // namespace wbsim::test
