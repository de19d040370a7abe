// The lost-wakeup check: a phase that ends quiet with a daemon asleep in
// wait_event_idle though its condition holds (sim/scheduler_findings.cpp).
// A daemon's lost wake-up is no deadlock (its wait is idle), so until the
// phase's end read the condition again nothing saw it.
#include <gtest/gtest.h>

#include <string>

#include "sim/bitwait.h"
#include "sim/kthread.h"
#include "sim/scheduler.h"
#include "sim/waitqueue.h"
#include "sim/workqueue.h"
#include "tests/sim_test_util.h"

namespace wbsim {
namespace {

using sim::kMs;
using sim::Scheduler;
using test::checker_of;
using test::run_sim;

// A daemon waiting for `work`, and a producer that queues one item and
// announces it as `announce` says.
enum class Announce { wake_up, none, other_queue, wake_up_before_the_work };

sim::RunResult run_daemon(Announce announce, int* handled) {
  return run_sim([=](Scheduler& s) {
    sim::WaitQueue work_wq{"work_wq"};
    sim::WaitQueue other_wq{"other_wq"};
    int work = 0;
    sim::Kthread daemon("daemon", [&](sim::Kthread& self) {
      for (;;) {
        work_wq.wait_event_idle([&] { return work > 0 || self.should_stop(); });
        if (self.should_stop()) return;
        --work;
        ++*handled;
      }
    });
    s.spawn("producer", [&] {
      sim::sleep(kMs);  // the daemon is asleep by now
      if (announce == Announce::wake_up_before_the_work) work_wq.wake_up();
      ++work;
      if (announce == Announce::wake_up) work_wq.wake_up();
      if (announce == Announce::other_queue) other_wq.wake_up();
    });
    s.run();  // the daemon stays, idle (or lost)
  });
}

TEST(LostWakeup, fires_on_a_daemon_whose_work_was_queued_without_a_wake_up) {
  int handled = 0;
  const auto r = run_daemon(Announce::none, &handled);
  ASSERT_EQ(checker_of(r), "lost-wakeup");
  EXPECT_NE(r.finding->message.find("fiber 'daemon' sleeps in wait_event_idle(work_wq)"), std::string::npos)
      << r.finding->message;
  EXPECT_NE(r.finding->where.find("tests/lost_wakeup_test.cpp"), std::string::npos) << r.finding->where;
  EXPECT_EQ(handled, 0);
}

TEST(LostWakeup, fires_on_a_wake_up_of_another_queue) {
  int handled = 0;
  const auto r = run_daemon(Announce::other_queue, &handled);
  ASSERT_EQ(checker_of(r), "lost-wakeup");
}

// No scheduling point lies between the wake-up and the work, yet on SMP
// the daemon may run at once on another CPU, find nothing and sleep again.
TEST(LostWakeup, fires_on_a_wake_up_made_before_the_work_it_announces) {
  int handled = 0;
  const auto r = run_daemon(Announce::wake_up_before_the_work, &handled);
  ASSERT_EQ(checker_of(r), "lost-wakeup");
  EXPECT_EQ(handled, 0);
}

TEST(LostWakeup, is_quiet_when_the_producer_wakes_the_daemon) {
  int handled = 0;
  const auto r = run_daemon(Announce::wake_up, &handled);
  ASSERT_FALSE(r.finding.has_value()) << r.finding->message;
  EXPECT_EQ(handled, 1);
}

// The same for a task's wait: woken before the flag it waits for is set,
// it may sleep again for good. A deadlock, where the waker's order is right
// a pass.
sim::RunResult run_waiter(bool wake_first) {
  return run_sim([=](Scheduler& s) {
    sim::WaitQueue done_wq{"done_wq"};
    bool done = false;
    s.spawn("waiter", [&] { done_wq.wait_event([&] { return done; }); });
    s.spawn("completer", [&] {
      sim::sleep(kMs);  // the waiter is asleep by now
      if (wake_first) done_wq.wake_up();
      done = true;
      if (!wake_first) done_wq.wake_up();
    });
    s.run();
  });
}

TEST(LostWakeup, a_task_woken_before_its_flag_is_set_deadlocks) {
  const auto r = run_waiter(/*wake_first=*/true);
  ASSERT_EQ(checker_of(r), "deadlock");
  EXPECT_NE(r.finding->message.find("fiber 'waiter' waits in wait_event(done_wq)"), std::string::npos)
      << r.finding->message;
  EXPECT_FALSE(run_waiter(/*wake_first=*/false).finding.has_value());
}

// As wake_up_bit after the bit: woken while it is still set, the waiter
// sleeps again.
sim::RunResult run_bit_waiter(bool wake_first) {
  return run_sim([=](Scheduler& s) {
    sim::FlagsWord word{};
    sim::set_bit(3, word);
    s.spawn("waiter", [&] { sim::wait_on_bit(word, 3); });
    s.spawn("clearer", [&] {
      sim::sleep(kMs);
      if (wake_first) sim::wake_up_bit(word, 3);
      sim::clear_bit(3, word);
      if (!wake_first) sim::wake_up_bit(word, 3);
    });
    s.run();
  });
}

TEST(LostWakeup, a_bit_waiter_woken_before_the_bit_is_cleared_deadlocks) {
  EXPECT_EQ(checker_of(run_bit_waiter(/*wake_first=*/true)), "deadlock");
  EXPECT_FALSE(run_bit_waiter(/*wake_first=*/false).finding.has_value());
}

// A workqueue's idle workers are daemons too; queue_work wakes them, and
// an idle pool with nothing queued is quiet.
TEST(LostWakeup, is_quiet_for_an_idle_workqueue) {
  int runs = 0;
  const auto r = run_sim([&](Scheduler& s) {
    sim::Workqueue wq{"wq", 2};
    sim::Work w{"w", [&] { ++runs; }};
    s.spawn("submitter", [&] {
      wq.queue_work(w);
      sim::sleep(kMs);
      wq.queue_work(w);
    });
    s.run();
  });
  ASSERT_FALSE(r.finding.has_value()) << r.finding->message;
  EXPECT_EQ(runs, 2);
}

}  // namespace
}  // namespace wbsim
