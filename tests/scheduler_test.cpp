// The scheduler: virtual time, timers, phase ends (quiescence, deadlock,
// livelock), findings from fibers, atomic context, determinism and replay.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/assert.h"
#include "sim/completion.h"
#include "sim/mutex.h"
#include "sim/run.h"
#include "sim/scheduler.h"
#include "sim/semaphore.h"
#include "sim/waitqueue.h"
#include "tests/sim_test_util.h"

namespace wbsim {
namespace {

using sim::kMs;
using sim::kSec;
using sim::kUs;
using sim::Reason;
using sim::Scheduler;
using sim::Time;
using test::checker_of;
using test::has_reason;
using test::run_sim;

// --- virtual time ------------------------------------------------------------

RC_GTEST_PROP(VirtualTime, sleep_advances_the_clock_by_exactly_the_duration, ()) {
  const auto durations = *rc::gen::container<std::vector<Time>>(rc::gen::inRange<Time>(0, 10 * kSec));
  std::vector<Time> observed;
  Time total = 0;
  for (Time d : durations) total += d;
  const auto r = run_sim([&](Scheduler& s) {
    s.spawn("sleeper", [&] {
      for (Time d : durations) {
        const Time before = sim::now();
        sim::sleep(d);
        observed.push_back(sim::now() - before);
      }
    });
    s.run();
  });
  RC_ASSERT(!r.finding.has_value());
  RC_ASSERT(observed == durations);
  RC_ASSERT(r.time == total);
}

TEST(VirtualTime, clock_jumps_to_the_earliest_timer_when_nothing_is_runnable) {
  Time woke_a = 0, woke_b = 0;
  std::vector<sim::TraceRecord> clocks;
  const auto r = run_sim(
      [&](Scheduler& s) {
        s.spawn("a", [&] {
          sim::sleep(500 * kSec);
          woke_a = sim::now();
        });
        s.spawn("b", [&] {
          sim::sleep(700 * kSec);
          woke_b = sim::now();
        });
        s.run();
        for (const auto& rec : s.trace_log().all())
          if (has_reason(rec, Reason::clock)) clocks.push_back(rec);
      },
      1, {}, /*keep_full_trace=*/true);
  ASSERT_FALSE(r.finding.has_value());
  EXPECT_EQ(woke_a, 500 * kSec);
  EXPECT_EQ(woke_b, 700 * kSec);
  EXPECT_EQ(r.time, 700 * kSec);
  // Two jumps, no ticking: 0 -> 500 s -> 700 s, in a handful of steps.
  ASSERT_EQ(clocks.size(), 2u);
  EXPECT_EQ(clocks[0].a, 0u);
  EXPECT_EQ(clocks[0].b, 500 * kSec);
  EXPECT_EQ(clocks[1].a, 500 * kSec);
  EXPECT_EQ(clocks[1].b, 700 * kSec);
  EXPECT_LT(r.steps, 20u);
}

TEST(VirtualTime, time_stands_still_while_any_fiber_is_runnable) {
  Time seen = 1;
  const auto r = run_sim([&](Scheduler& s) {
    s.spawn("sleeper", [] { sim::sleep(kMs); });
    s.spawn("spinner", [&] {
      for (int i = 0; i < 1000; ++i) sim::yield();
      seen = sim::now();
    });
    s.run();
  });
  ASSERT_FALSE(r.finding.has_value());
  EXPECT_EQ(seen, 0u);
  EXPECT_EQ(r.time, kMs);
}

TEST(VirtualTime, timers_with_equal_deadlines_fire_in_the_order_they_were_set) {
  constexpr Time kDeadline = 10 * kMs;
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    std::vector<sim::FiberId> armed, fired;
    const auto r = run_sim(
        [&](Scheduler& s) {
          for (int f = 0; f < 5; ++f) {
            s.spawn("t" + std::to_string(f), [] {
              sim::sleep(sim::draw(3) * kMs);  // arrive in a seed-dependent order
              sim::sleep(kDeadline - sim::now());
            });
          }
          s.run();
          for (const auto& rec : s.trace_log().all()) {
            if (has_reason(rec, Reason::block) && rec.a == kDeadline) armed.push_back(rec.fiber);
            if (has_reason(rec, Reason::timeout) && rec.time == kDeadline) fired.push_back(rec.a);
          }
        },
        seed, {}, true);
    ASSERT_FALSE(r.finding.has_value()) << "seed " << seed;
    ASSERT_EQ(armed.size(), 5u);
    EXPECT_EQ(fired, armed) << "seed " << seed;
  }
}

TEST(VirtualTime, wait_with_timeout_returns_false_exactly_at_now_plus_timeout) {
  bool got = true;
  bool completion_got = true;
  Time when = 0, completion_when = 0;
  const auto r = run_sim([&](Scheduler& s) {
    sim::WaitQueue wq{"never_woken"};
    sim::Completion never{"never_completed"};
    s.spawn("waiter", [&] {
      sim::sleep(3 * kMs);
      got = wq.wait_event_timeout([] { return false; }, 7 * kMs);
      when = sim::now();
      completion_got = never.wait_timeout(5 * kMs);
      completion_when = sim::now();
    });
    s.run();
  });
  EXPECT_FALSE(r.finding.has_value()) << r.finding->details;
  EXPECT_FALSE(got);
  EXPECT_EQ(when, 10 * kMs);
  EXPECT_FALSE(completion_got);
  EXPECT_EQ(completion_when, 15 * kMs);
}

TEST(VirtualTime, a_timed_wait_next_to_idle_waiters_is_not_a_deadlock) {
  int timeouts = 0;
  const auto r = run_sim([&](Scheduler& s) {
    sim::WaitQueue idle{"idle"};
    sim::WaitQueue wq{"wq"};
    s.spawn("daemon", [&] { idle.wait_event_idle([] { return false; }); });
    s.spawn("poller", [&] {
      for (int i = 0; i < 3; ++i) timeouts += !wq.wait_event_timeout([] { return false; }, kSec);
    });
    s.run();
  });
  EXPECT_FALSE(r.finding.has_value());
  EXPECT_EQ(timeouts, 3);
  EXPECT_EQ(r.time, 3 * kSec);
}

// --- phase ends: quiescence and deadlock -------------------------------------------

TEST(Deadlock, a_fiber_blocked_forever_without_a_timer_is_a_deadlock_naming_it) {
  bool after_run = false;
  const auto r = run_sim([&](Scheduler& s) {
    sim::Completion never{"never_completed"};
    s.spawn("stuck_waiter", [&] { never.wait(); });
    s.spawn("bystander", [] { sim::sleep(kMs); });
    s.run();
    after_run = true;
  });
  ASSERT_EQ(checker_of(r), "deadlock");
  EXPECT_NE(r.finding->details.find("'stuck_waiter'"), std::string::npos) << r.finding->details;
  EXPECT_NE(r.finding->details.find("wait_for_completion(never_completed)"), std::string::npos)
      << r.finding->details;
  EXPECT_NE(r.finding->details.find("never been signalled"), std::string::npos) << r.finding->details;
  EXPECT_EQ(r.finding->details.find("bystander"), std::string::npos) << r.finding->details;
  EXPECT_EQ(r.time, kMs);
  // The host does not get past a failed phase.
  EXPECT_FALSE(after_run);
  EXPECT_FALSE(r.trace_tail.empty());
}

TEST(Deadlock, abba_inversion_reports_cycle_with_both_fibers) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    const auto r = run_sim(test::forced_abba_body, seed);
    ASSERT_EQ(checker_of(r), "deadlock") << "seed " << seed;
    const std::string& d = r.finding->details;
    EXPECT_NE(d.find("cycle:"), std::string::npos) << d;
    EXPECT_NE(d.find("'left'"), std::string::npos) << d;
    EXPECT_NE(d.find("'right'"), std::string::npos) << d;
    EXPECT_NE(d.find("mutex 'lock_a' is held by fiber 0 'left'"), std::string::npos) << d;
    EXPECT_NE(d.find("mutex 'lock_b' is held by fiber 1 'right'"), std::string::npos) << d;
  }
}

TEST(Deadlock, a_cycle_is_reported_when_it_closes_while_other_fibers_still_run) {
  // The partial form: 'left' and 'right' deadlock while 'ticker' keeps
  // running on timers for a long time. The cycle is reported at the block
  // that closes it, not when the phase would end.
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    const auto r = run_sim(
        [](Scheduler& s) {
          sim::Mutex a{"lock_a"}, b{"lock_b"};
          sim::Completion a_held{"a_held"}, b_held{"b_held"};
          s.spawn("left", [&] {
            sim::MutexGuard ga(a);
            a_held.complete();
            b_held.wait();
            sim::MutexGuard gb(b);
          });
          s.spawn("right", [&] {
            sim::MutexGuard gb(b);
            b_held.complete();
            a_held.wait();
            sim::MutexGuard ga(a);
          });
          s.spawn("ticker", [] {
            for (int i = 0; i < 1000; ++i) sim::sleep(kSec);
          });
          s.run();
        },
        seed);
    ASSERT_EQ(checker_of(r), "deadlock") << "seed " << seed;
    EXPECT_NE(r.finding->message.find("wait-for cycle of 2 fibers"), std::string::npos) << r.finding->message;
    EXPECT_NE(r.finding->details.find("cycle:"), std::string::npos) << r.finding->details;
    EXPECT_LT(r.time, 1000 * kSec) << "reported only when the phase ended";
  }
}

TEST(Deadlock, a_wait_nothing_can_wake_is_named_as_such) {
  const auto r = run_sim([&](Scheduler& s) {
    sim::Completion never{"never_completed"};
    s.spawn("stuck_waiter", [&] { never.wait(); });
    s.run();
  });
  ASSERT_EQ(checker_of(r), "deadlock");
  EXPECT_NE(r.finding->message.find("'stuck_waiter' waits in wait_for_completion(never_completed), which nothing "
                                    "left can wake"),
            std::string::npos)
      << r.finding->message;
}

TEST(Deadlock, the_report_names_the_last_signaller_of_the_object) {
  const auto r = run_sim([&](Scheduler& s) {
    sim::WaitQueue wq{"done_wq"};
    s.spawn("waker", [&] { wq.wake_up(); });
    s.spawn("waiter", [&] {
      sim::sleep(kMs);  // after the only wake-up
      wq.sleep_on();
    });
    s.run();
  });
  ASSERT_EQ(checker_of(r), "deadlock");
  EXPECT_NE(r.finding->details.find("last signalled by fiber 0 'waker'"), std::string::npos) << r.finding->details;
}

TEST(Quiescence, an_idle_wait_alone_ends_the_phase_without_a_finding) {
  bool after_run = false;
  const auto r = run_sim([&](Scheduler& s) {
    sim::WaitQueue work{"work"};
    s.spawn("daemon", [&] { work.wait_event_idle([] { return false; }); });
    s.spawn("other", [] { sim::sleep(2 * kMs); });
    s.run();
    after_run = true;
  });
  EXPECT_FALSE(r.finding.has_value());
  EXPECT_TRUE(after_run);
  EXPECT_EQ(r.time, 2 * kMs);
}

TEST(Quiescence, an_idle_waiter_is_not_listed_when_another_fiber_deadlocks) {
  const auto r = run_sim([&](Scheduler& s) {
    sim::WaitQueue work{"work"};
    sim::Completion never{"never"};
    s.spawn("daemon", [&] { work.wait_event_idle([] { return false; }); });
    s.spawn("stuck", [&] { never.wait(); });
    s.run();
  });
  ASSERT_EQ(checker_of(r), "deadlock");
  EXPECT_NE(r.finding->details.find("'stuck'"), std::string::npos);
  EXPECT_EQ(r.finding->details.find("daemon"), std::string::npos) << r.finding->details;
}

// --- livelock ------------------------------------------------------------------------

TEST(Livelock, exhausting_the_step_budget_names_the_busiest_fiber_first) {
  auto cfg = test::make_config(1);
  cfg.step_budget = 2000;
  const auto r = sim::run_simulation(cfg, true, [](Scheduler& s) {
    s.spawn("lazy", [] { sim::yield(); });
    s.spawn("spinner", [] {
      for (;;) sim::yield();
    });
    s.run();
  }, "");
  ASSERT_EQ(checker_of(r), "livelock");
  EXPECT_NE(r.finding->message.find("step budget of 2000"), std::string::npos) << r.finding->message;
  const std::string& d = r.finding->details;
  const auto spinner = d.find("'spinner'");
  const auto lazy = d.find("'lazy'");
  ASSERT_NE(spinner, std::string::npos) << d;
  EXPECT_TRUE(lazy == std::string::npos || spinner < lazy) << d;
  EXPECT_GT(r.steps, 2000u);
  EXPECT_LE(r.steps, 2001u);
}

// A run that goes round (sim/repeat_watch.h) is found when the watch's
// window fills, long before the step budget.
TEST(Livelock, a_lone_spinner_is_found_going_round_long_before_the_step_budget) {
  auto cfg = test::make_config(1);
  cfg.step_budget = 1'000'000;
  const auto r = sim::run_simulation(cfg, true, [](Scheduler& s) {
    s.spawn("setup", [] { sim::sleep(kMs); });
    s.spawn("spinner", [] {
      sim::sleep(2 * kMs);
      for (;;) sim::yield();
    });
    s.run();
  }, "");
  ASSERT_EQ(checker_of(r), "livelock");
  EXPECT_NE(r.finding->message.find("fiber 'spinner' goes round the same 1 step over the last 1024 steps"),
            std::string::npos)
      << r.finding->message;
  EXPECT_EQ(r.time, 2 * kMs);
  EXPECT_LE(r.steps, 2 * sim::RepeatWatch::kQuietSteps + 16);
}

TEST(Livelock, a_spin_that_alternates_between_two_traced_states_has_period_two) {
  auto cfg = test::make_config(1);
  cfg.step_budget = 1'000'000;
  const auto r = sim::run_simulation(cfg, true, [](Scheduler& s) {
    s.spawn("flipper", [&s] {
      for (std::uint64_t bit = 0;; bit ^= 1) {
        s.trace(Reason::mark, sim::kNoObject, bit);
        sim::yield();
      }
    });
    s.run();
  }, "");
  ASSERT_EQ(checker_of(r), "livelock");
  EXPECT_NE(r.finding->message.find("fiber 'flipper' goes round the same 2 steps"), std::string::npos)
      << r.finding->message;
}

// What the watch leaves to the step budget: a spin whose trace moves on.
TEST(Livelock, a_spin_that_traces_a_counter_runs_to_the_step_budget) {
  auto cfg = test::make_config(1);
  cfg.step_budget = 5000;
  const auto r = sim::run_simulation(cfg, true, [](Scheduler& s) {
    s.spawn("counter", [&s] {
      for (std::uint64_t i = 0;; ++i) {
        s.trace(Reason::mark, sim::kNoObject, i);
        sim::yield();
      }
    });
    s.run();
  }, "");
  ASSERT_EQ(checker_of(r), "livelock");
  EXPECT_NE(r.finding->message.find("step budget of 5000"), std::string::npos) << r.finding->message;
}

// A loop that ends within the quiet steps and the window is no livelock,
// however alike its steps are.
TEST(Livelock, a_bounded_spin_shorter_than_the_watch_ends_quietly) {
  auto cfg = test::make_config(1);
  cfg.step_budget = 1'000'000;
  bool done = false;
  const auto r = sim::run_simulation(cfg, true, [&](Scheduler& s) {
    s.spawn("bounded", [&] {
      for (std::size_t i = 0; i < sim::RepeatWatch::kQuietSteps + sim::RepeatWatch::kWindow - 8; ++i) sim::yield();
      done = true;
    });
    s.run();
  }, "");
  EXPECT_FALSE(r.finding.has_value()) << r.finding->message;
  EXPECT_TRUE(done);
}

// A clock that moves between the spins starts the watch again: the
// virtual-time budget is what ends a loop that sleeps.
TEST(Livelock, a_poll_that_sleeps_between_looks_is_not_going_round) {
  auto cfg = test::make_config(1);
  cfg.time_budget = 100 * kMs;
  const auto r = sim::run_simulation(cfg, true, [](Scheduler& s) {
    s.spawn("poller", [] {
      for (;;) {
        for (int i = 0; i < 1500; ++i) sim::yield();
        sim::sleep(kMs);
      }
    });
    s.run();
  }, "");
  ASSERT_EQ(checker_of(r), "livelock");
  EXPECT_NE(r.finding->message.find("virtual time budget"), std::string::npos) << r.finding->message;
}

TEST(Livelock, exceeding_the_virtual_time_budget_is_a_livelock) {
  auto cfg = test::make_config(1);
  cfg.time_budget = kSec;
  bool after_run = false;
  const auto r = sim::run_simulation(cfg, true, [&](Scheduler& s) {
    s.spawn("ticker", [] {
      for (;;) sim::sleep(100 * kMs);
    });
    s.run();
    after_run = true;
  }, "");
  ASSERT_EQ(checker_of(r), "livelock");
  EXPECT_NE(r.finding->message.find("virtual time budget"), std::string::npos) << r.finding->message;
  EXPECT_NE(r.finding->details.find("'ticker'"), std::string::npos) << r.finding->details;
  EXPECT_LE(r.time, kSec);
  EXPECT_FALSE(after_run);
}

TEST(Livelock, a_timer_exactly_at_the_time_budget_still_fires) {
  auto cfg = test::make_config(1);
  cfg.time_budget = kSec;
  const auto r = sim::run_simulation(cfg, true, [](Scheduler& s) {
    s.spawn("sleeper", [] { sim::sleep(kSec); });
    s.run();
  }, "");
  EXPECT_FALSE(r.finding.has_value());
  EXPECT_EQ(r.time, kSec);
}

// --- findings from fibers --------------------------------------------------------------

TEST(Findings, an_uncaught_std_exception_is_an_exception_finding) {
  const auto r = run_sim([](Scheduler& s) {
    s.spawn("thrower", [] {
      sim::yield();
      throw std::runtime_error("boom in fiber");
    });
    s.spawn("other", [] { sim::sleep(kMs); });
    s.run();
  });
  ASSERT_EQ(checker_of(r), "exception");
  EXPECT_NE(r.finding->message.find("boom in fiber"), std::string::npos) << r.finding->message;
  EXPECT_EQ(r.finding->fiber_name, "thrower");
}

TEST(Findings, an_exception_caught_inside_the_fiber_is_not_a_finding) {
  bool caught = false;
  const auto r = run_sim([&](Scheduler& s) {
    s.spawn("careful", [&] {
      try {
        throw std::logic_error("handled");
      } catch (const std::exception&) {
        caught = true;
      }
      sim::yield();
    });
    s.run();
  });
  EXPECT_FALSE(r.finding.has_value());
  EXPECT_TRUE(caught);
}

TEST(Findings, sim_assert_in_a_fiber_is_an_assertion_finding_with_its_location) {
  const auto r = run_sim([](Scheduler& s) {
    s.spawn("checker", [] {
      int x = 1;
      sim::yield();
      SIM_ASSERT(x == 2);
    });
    s.run();
  });
  ASSERT_EQ(checker_of(r), "assertion");
  EXPECT_NE(r.finding->message.find("x == 2"), std::string::npos) << r.finding->message;
  EXPECT_NE(r.finding->where.find("scheduler_test.cpp:"), std::string::npos) << r.finding->where;
  EXPECT_EQ(r.finding->fiber_name, "checker");
}

TEST(Findings, sim_assert_cmp_message_contains_both_values) {
  const auto r = run_sim([](Scheduler& s) {
    s.spawn("checker", [] {
      const int credits = 17;
      const int limit = 4242;
      SIM_ASSERT_CMP(credits, >, limit);
    });
    s.run();
  });
  ASSERT_EQ(checker_of(r), "assertion");
  const std::string& m = r.finding->message;
  EXPECT_NE(m.find("credits > limit"), std::string::npos) << m;
  EXPECT_NE(m.find("17"), std::string::npos) << m;
  EXPECT_NE(m.find("4242"), std::string::npos) << m;
}

TEST(Findings, sim_assert_implies_fires_only_when_the_premise_holds) {
  const auto ok = run_sim([](Scheduler& s) {
    s.spawn("vacuous", [] {
      const bool locked = false, owner_set = false;
      SIM_ASSERT_IMPLIES(locked, owner_set);
    });
    s.run();
  });
  EXPECT_FALSE(ok.finding.has_value());
  const auto bad = run_sim([](Scheduler& s) {
    s.spawn("violated", [] {
      const bool locked = true, owner_set = false;
      SIM_ASSERT_IMPLIES(locked, owner_set);
    });
    s.run();
  });
  ASSERT_EQ(checker_of(bad), "assertion");
  EXPECT_NE(bad.finding->message.find("implies"), std::string::npos) << bad.finding->message;
}

TEST(Findings, sim_assert_on_the_host_after_a_phase_is_an_assertion_finding) {
  const auto r = run_sim([](Scheduler& s) {
    int runs = 0;
    s.spawn("f", [&] { ++runs; });
    s.run();
    SIM_ASSERT_CMP(runs, ==, 2);
  });
  ASSERT_EQ(checker_of(r), "assertion");
  EXPECT_EQ(r.finding->fiber_name, "host");
  EXPECT_NE(r.finding->message.find("(1 vs 2)"), std::string::npos) << r.finding->message;
}

// --- atomic context ----------------------------------------------------------------------

TEST(AtomicContext, blocking_on_a_mutex_while_holding_a_spinlock_is_atomic_sleep) {
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    const auto r = run_sim(
        [](Scheduler& s) {
          sim::Mutex m{"i_rwsem"};
          sim::Spinlock spin{"i_lock"};
          s.spawn("holder", [&] {
            m.lock();
            sim::sleep(10 * kMs);
            m.unlock();
          });
          s.spawn("offender", [&] {
            sim::sleep(kMs);  // the holder has the mutex by now
            sim::SpinGuard g(spin);
            m.lock();
            m.unlock();
          });
          s.run();
        },
        seed);
    ASSERT_EQ(checker_of(r), "atomic-sleep") << "seed " << seed;
    EXPECT_EQ(r.finding->fiber_name, "offender");
    EXPECT_NE(r.finding->message.find("mutex:i_rwsem"), std::string::npos) << r.finding->message;
    EXPECT_NE(r.finding->message.find("spinlock"), std::string::npos) << r.finding->message;
    EXPECT_EQ(r.time, kMs);
  }
}

TEST(AtomicContext, sleeping_while_holding_a_spinlock_is_atomic_sleep) {
  const auto r = run_sim([](Scheduler& s) {
    sim::Spinlock spin{"lru_lock"};
    s.spawn("sleeper", [&] {
      spin.lock();
      sim::sleep(kUs);
      spin.unlock();
    });
    s.run();
  });
  ASSERT_EQ(checker_of(r), "atomic-sleep");
  EXPECT_NE(r.finding->message.find("sleep"), std::string::npos) << r.finding->message;
}

TEST(AtomicContext, spinning_on_a_contended_spinlock_and_blocking_after_release_are_allowed) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    int counter = 0;
    const auto r = run_sim(
        [&](Scheduler& s) {
          sim::Spinlock outer{"outer"}, inner{"inner"};
          sim::Mutex m{"m"};
          for (int f = 0; f < 3; ++f) {
            s.spawn("f", [&] {
              for (int i = 0; i < 3; ++i) {
                {
                  sim::SpinGuard a(outer);
                  sim::SpinGuard b(inner);
                  const int seen = counter;
                  sim::yield();
                  counter = seen + 1;
                }
                sim::MutexGuard g(m);  // atomic context has ended
                sim::sleep(kUs);
              }
            });
          }
          s.run();
        },
        seed);
    ASSERT_FALSE(r.finding.has_value()) << "seed " << seed << ": " << r.finding->message;
    EXPECT_EQ(counter, 9);
  }
}

// --- determinism and replay ----------------------------------------------------------------

// A small world with every kind of nondeterminism: switches, draws, timers.
void busy_world(Scheduler& s) {
  sim::Mutex m{"m"};
  sim::Semaphore credits{"credits", 2};
  sim::WaitQueue wq{"wq"};
  int produced = 0;
  for (int f = 0; f < 3; ++f) {
    s.spawn("worker" + std::to_string(f), [&, f] {
      for (int i = 0; i < 4; ++i) {
        if (credits.down_timeout(1, (1 + sim::draw(3)) * kMs)) {
          sim::MutexGuard g(m);
          ++produced;
          sim::yield();
          credits.up();
        }
        wq.wake_up();
        sim::sleep(sim::draw(4) * 100 * kUs);
        wq.wait_event_timeout([&] { return produced > f; }, 200 * kUs);
      }
    });
  }
  s.run();
}

TEST(Determinism, same_config_and_seed_give_identical_trace_hash_and_tape) {
  for (auto strategy : {sim::StrategySpec{}, test::pct(3)}) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      const auto a = run_sim(busy_world, seed, strategy, true);
      const auto b = run_sim(busy_world, seed, strategy, true);
      ASSERT_FALSE(a.finding.has_value()) << a.finding->message;
      EXPECT_EQ(a.trace_hash, b.trace_hash) << "seed " << seed;
      EXPECT_EQ(a.tape, b.tape) << "seed " << seed;
      EXPECT_EQ(a.trace_all, b.trace_all) << "seed " << seed;
      EXPECT_EQ(a.steps, b.steps);
      EXPECT_EQ(a.time, b.time);
    }
  }
}

TEST(Determinism, different_seeds_usually_give_different_trace_hashes) {
  std::set<std::uint64_t> hashes;
  for (std::uint64_t seed = 1; seed <= 50; ++seed) hashes.insert(run_sim(busy_world, seed).trace_hash);
  EXPECT_GE(hashes.size(), 45u);
}

TEST(Determinism, keeping_the_full_trace_does_not_change_the_hash) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const auto a = run_sim(busy_world, seed, {}, false);
    const auto b = run_sim(busy_world, seed, {}, true);
    EXPECT_EQ(a.trace_hash, b.trace_hash);
    EXPECT_EQ(b.trace_all.size(), b.trace_lines);
    EXPECT_TRUE(a.trace_all.empty());
  }
}

// A thread's runs hand their scheduler storage on (fiber records, run queue,
// object table, tape buffer): nothing of one run may reach the next.
TEST(Determinism, a_run_hashes_the_same_whatever_ran_before_it_on_the_thread) {
  auto one_fiber = [](sim::Scheduler& s) {
    s.spawn("lonely", [] { sim::yield(); });
    s.run();
  };
  std::vector<sim::RunResult> first;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) first.push_back(run_sim(busy_world, seed, {}, true));
  for (std::uint64_t seed = 10; seed >= 1; --seed) {
    run_sim(one_fiber, seed + 100);
    run_sim(test::forced_abba_body, seed + 200);  // a finding: fibers unwound mid-run
    const auto again = run_sim(busy_world, seed, {}, true);
    const auto& a = first[seed - 1];
    EXPECT_EQ(a.trace_hash, again.trace_hash) << "seed " << seed;
    EXPECT_EQ(a.tape, again.tape) << "seed " << seed;
    EXPECT_EQ(a.trace_all, again.trace_all) << "seed " << seed;
  }
}

TEST(Determinism, a_passing_run_without_details_keeps_its_hash_and_drops_its_tape) {
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    const auto a = run_sim(busy_world, seed);
    sim::SchedulerConfig lean = test::make_config(seed);
    lean.passing_details = false;
    const auto b = sim::run_simulation(lean, /*faults=*/true, busy_world, "");
    EXPECT_EQ(a.trace_hash, b.trace_hash);
    EXPECT_EQ(a.mark_hits, b.mark_hits);
    EXPECT_FALSE(a.tape.empty());
    EXPECT_TRUE(b.tape.empty());
    EXPECT_TRUE(b.fault_header.empty());
  }
}

TEST(Replay, replaying_the_recorded_tape_reproduces_the_run_exactly) {
  for (auto strategy : {sim::StrategySpec{}, test::pct(3)}) {
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
      const auto rec = run_sim(busy_world, seed, strategy, true);
      ASSERT_FALSE(rec.tape.choices().empty());
      // A different fallback seed proves the tape, not the seed, decides.
      const auto rep = test::replay_sim(busy_world, rec.tape, seed + 1000, true);
      EXPECT_FALSE(rep.divergence.has_value()) << "seed " << seed << " diverged at " << rep.divergence->position;
      EXPECT_EQ(rep.trace_hash, rec.trace_hash) << "seed " << seed;
      EXPECT_EQ(rep.trace_all, rec.trace_all) << "seed " << seed;
      EXPECT_EQ(rep.tape, rec.tape);
      EXPECT_EQ(rep.steps, rec.steps);
      EXPECT_EQ(rep.time, rec.time);
    }
  }
}

TEST(Replay, replaying_a_failing_run_reproduces_the_finding) {
  auto lost_wakeup = [](Scheduler& s) {
    sim::WaitQueue wq{"done_wq"};
    bool done = false;
    s.spawn("waiter", [&] {
      if (!done) {
        sim::yield();
        wq.sleep_on();
      }
    });
    s.spawn("waker", [&] {
      done = true;
      wq.wake_up();
    });
    s.run();
  };
  int failures = 0;
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    const auto rec = run_sim(lost_wakeup, seed, {}, true);
    if (!rec.finding) continue;
    ++failures;
    const auto rep = test::replay_sim(lost_wakeup, rec.tape, 7, true);
    ASSERT_TRUE(rep.finding.has_value());
    EXPECT_EQ(rep.finding->checker, rec.finding->checker);
    EXPECT_EQ(rep.finding->details, rec.finding->details);
    EXPECT_EQ(rep.trace_hash, rec.trace_hash);
    EXPECT_EQ(rep.trace_all, rec.trace_all);
    EXPECT_EQ(rep.trace_tail, rec.trace_tail);
    EXPECT_FALSE(rep.divergence.has_value());
  }
  EXPECT_GT(failures, 0);
  EXPECT_LT(failures, 100);
}

// --- phases ---------------------------------------------------------------------------------

TEST(Phases, the_host_can_wake_idle_fibers_and_run_a_second_phase) {
  std::vector<std::string> log;
  const auto r = run_sim([&](Scheduler& s) {
    sim::WaitQueue work_wq{"work_wq"};
    sim::Completion go{"go"};
    int work = 0;
    int done = 0;
    s.spawn("daemon", [&] {
      for (;;) {
        work_wq.wait_event_idle([&] { return work > 0; });
        --work;
        ++done;
        sim::sleep(kMs);
      }
    });
    s.spawn("worker", [&] {
      sim::sleep(kMs);
      log.push_back("phase1");
    });
    s.run();
    log.push_back("host1 t=" + std::to_string(sim::now() / kMs));
    EXPECT_EQ(done, 0);

    work = 2;
    work_wq.wake_up();  // from the host
    s.run();
    log.push_back("host2 t=" + std::to_string(sim::now() / kMs) + " done=" + std::to_string(done));

    s.spawn("late", [&] {
      go.wait();
      log.push_back("late");
    });
    go.complete();  // from the host, before the fiber has run
    s.run();
    log.push_back("host3");
  });
  ASSERT_FALSE(r.finding.has_value()) << r.finding->details;
  // Phase 2 drains both units (one per 1 ms sleep) before the daemon idles.
  const std::vector<std::string> expected{"phase1", "host1 t=1", "host2 t=3 done=2", "late", "host3"};
  EXPECT_EQ(log, expected);
}

TEST(Phases, a_deadlock_in_a_later_phase_is_still_reported) {
  int phases = 0;
  const auto r = run_sim([&](Scheduler& s) {
    sim::Completion never{"never"};
    s.spawn("first", [] { sim::sleep(kMs); });
    s.run();
    ++phases;
    s.spawn("second", [&] { never.wait(); });
    s.run();
    ++phases;
  });
  ASSERT_EQ(checker_of(r), "deadlock");
  EXPECT_EQ(phases, 1);
  EXPECT_NE(r.finding->details.find("'second'"), std::string::npos);
}

}  // namespace
}  // namespace wbsim
