// Synchronisation primitives: mutex, waitqueue, completion, semaphore, rwsem,
// bit waits, workqueue, kthread.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "sim/assert.h"
#include "sim/bitwait.h"
#include "sim/completion.h"
#include "sim/kthread.h"
#include "sim/mutex.h"
#include "sim/rwsem.h"
#include "sim/scheduler.h"
#include "sim/semaphore.h"
#include "sim/waitqueue.h"
#include "sim/workqueue.h"
#include "tests/sim_test_util.h"

namespace wbsim {
namespace {

using sim::kMs;
using sim::kUs;
using sim::Reason;
using sim::Scheduler;
using sim::Time;
using test::checker_of;
using test::has_reason;
using test::run_sim;

constexpr std::uint64_t kSeeds = 200;

// --- mutex ----------------------------------------------------------------------------

// Four fibers increment a counter non-atomically (a yield between the read
// and the write); returns the final count, or -1 on a finding.
int racy_increments(std::uint64_t seed, bool use_mutex, int* max_inside) {
  int counter = 0;
  int inside = 0;
  const auto r = run_sim(
      [&](Scheduler& s) {
        sim::Mutex m{"counter_lock"};
        for (int f = 0; f < 4; ++f) {
          s.spawn("inc" + std::to_string(f), [&] {
            for (int i = 0; i < 5; ++i) {
              if (use_mutex) m.lock();
              *max_inside = std::max(*max_inside, ++inside);
              const int seen = counter;
              sim::yield();
              counter = seen + 1;
              --inside;
              if (use_mutex) m.unlock();
            }
          });
        }
        s.run();
      },
      seed);
  return r.finding ? -1 : counter;
}

TEST(Mutex, excludes_other_fibers_from_the_critical_section_on_every_seed) {
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    int max_inside = 0;
    ASSERT_EQ(racy_increments(seed, true, &max_inside), 20) << "seed " << seed;
    ASSERT_EQ(max_inside, 1) << "seed " << seed;
  }
}

TEST(Mutex, without_it_the_same_increments_lose_updates_on_some_seed) {
  // The control for the test above: the schedule does interleave the fibers.
  int lossy = 0;
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    int max_inside = 0;
    lossy += racy_increments(seed, false, &max_inside) < 20;
  }
  EXPECT_GT(lossy, 0);
}

TEST(Mutex, trylock_fails_while_another_fiber_holds_it_and_succeeds_after) {
  bool first = true, second = false, locked_seen = false, mine = false;
  const auto r = run_sim([&](Scheduler& s) {
    sim::Mutex m{"m"};
    s.spawn("holder", [&] {
      m.lock();
      sim::sleep(2 * kMs);
      m.unlock();
    });
    s.spawn("prober", [&] {
      sim::sleep(kMs);
      locked_seen = m.is_locked();
      first = m.trylock();
      sim::sleep(2 * kMs);
      second = m.trylock();
      mine = m.held_by_me();
      if (second) m.unlock();
    });
    s.run();
  });
  ASSERT_FALSE(r.finding.has_value()) << r.finding->message;
  EXPECT_TRUE(locked_seen);
  EXPECT_FALSE(first);
  EXPECT_TRUE(second);
  EXPECT_TRUE(mine);
}

TEST(Mutex, unlock_by_a_fiber_that_does_not_hold_it_is_an_assertion) {
  const auto r = run_sim([&](Scheduler& s) {
    sim::Mutex m{"m"};
    s.spawn("owner", [&] {
      m.lock();
      sim::sleep(2 * kMs);
      m.unlock();
    });
    s.spawn("thief", [&] {
      sim::sleep(kMs);
      m.unlock();
    });
    s.run();
  });
  ASSERT_EQ(checker_of(r), "assertion");
  EXPECT_EQ(r.finding->fiber_name, "thief");
  EXPECT_NE(r.finding->message.find("unlocked by fiber 1 but held by 0"), std::string::npos) << r.finding->message;
}

TEST(Mutex, locking_it_twice_in_one_fiber_is_an_assertion) {
  const auto r = run_sim([&](Scheduler& s) {
    sim::Mutex m{"m"};
    s.spawn("recursive", [&] {
      m.lock();
      m.lock();
    });
    s.run();
  });
  ASSERT_EQ(checker_of(r), "assertion");
  EXPECT_NE(r.finding->message.find("locked twice"), std::string::npos) << r.finding->message;
}

// --- waitqueue ----------------------------------------------------------------------------

TEST(WaitQueue, wake_up_wakes_every_waiter_whose_condition_holds) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    std::vector<Time> returned;
    std::vector<std::uint64_t> woken_counts;
    const auto r = run_sim(
        [&](Scheduler& s) {
          sim::WaitQueue wq{"wq"};
          bool flag = false;
          for (int f = 0; f < 3; ++f) {
            s.spawn("waiter", [&] {
              wq.wait_event([&] { return flag; });
              SIM_ASSERT(flag);
              returned.push_back(sim::now());
            });
          }
          s.spawn("waker", [&] {
            sim::sleep(kMs);
            wq.wake_up();  // condition still false: every waiter stays asleep
            sim::sleep(kMs);
            flag = true;
            wq.wake_up();
          });
          s.run();
          for (const auto& rec : s.trace_log().all())
            if (has_reason(rec, Reason::wake_up)) woken_counts.push_back(rec.a);
        },
        seed, {}, true);
    ASSERT_FALSE(r.finding.has_value()) << r.finding->details;
    EXPECT_EQ(returned, (std::vector<Time>{2 * kMs, 2 * kMs, 2 * kMs})) << "seed " << seed;
    EXPECT_EQ(woken_counts, (std::vector<std::uint64_t>{0, 3})) << "seed " << seed;
  }
}

TEST(WaitQueue, wait_event_with_a_true_condition_does_not_block) {
  const auto r = run_sim([&](Scheduler& s) {
    sim::WaitQueue wq{"wq"};
    s.spawn("f", [&] {
      wq.wait_event([] { return true; });
      SIM_ASSERT(!wq.has_sleeper());
    });
    s.run();
  });
  EXPECT_FALSE(r.finding.has_value());
  EXPECT_EQ(r.time, 0u);
}

TEST(WaitQueue, wait_event_timeout_returns_true_when_the_condition_comes_first) {
  bool got = false;
  Time when = 0;
  const auto r = run_sim([&](Scheduler& s) {
    sim::WaitQueue wq{"wq"};
    bool ready = false;
    s.spawn("waiter", [&] {
      got = wq.wait_event_timeout([&] { return ready; }, 10 * kMs);
      when = sim::now();
    });
    s.spawn("setter", [&] {
      sim::sleep(4 * kMs);
      ready = true;
      wq.wake_up();
    });
    s.run();
  });
  ASSERT_FALSE(r.finding.has_value());
  EXPECT_TRUE(got);
  EXPECT_EQ(when, 4 * kMs);
  // The cancelled timer does not hold the run open until 10 ms.
  EXPECT_EQ(r.time, 4 * kMs);
}

// --- completion ----------------------------------------------------------------------------

TEST(Completion, each_complete_releases_exactly_one_waiter) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    std::vector<Time> returned;
    bool done_after = true;
    const auto r = run_sim(
        [&](Scheduler& s) {
          sim::Completion c{"c"};
          for (int f = 0; f < 3; ++f) {
            s.spawn("consumer", [&] {
              c.wait();
              returned.push_back(sim::now());
            });
          }
          s.spawn("producer", [&] {
            for (int i = 0; i < 3; ++i) {
              sim::sleep(kMs);
              c.complete();
            }
          });
          s.run();
          done_after = c.done();
        },
        seed);
    ASSERT_FALSE(r.finding.has_value()) << r.finding->details;
    EXPECT_EQ(returned, (std::vector<Time>{kMs, 2 * kMs, 3 * kMs})) << "seed " << seed;
    EXPECT_FALSE(done_after);
  }
}

TEST(Completion, completions_made_before_the_wait_are_counted) {
  bool third = true;
  const auto r = run_sim([&](Scheduler& s) {
    sim::Completion c{"c"};
    s.spawn("f", [&] {
      c.complete();
      c.complete();
      c.wait();
      SIM_ASSERT(c.try_wait());
      third = c.wait_timeout(kMs);
    });
    s.run();
  });
  ASSERT_FALSE(r.finding.has_value()) << r.finding->message;
  EXPECT_FALSE(third);
  EXPECT_EQ(r.time, kMs);
}

TEST(Completion, complete_all_wakes_every_waiter_and_stays_done) {
  std::vector<Time> returned;
  bool try1 = false, try2 = false, done = false, done_after_reinit = true;
  const auto r = run_sim([&](Scheduler& s) {
    sim::Completion c{"c"};
    for (int f = 0; f < 3; ++f) {
      s.spawn("early", [&] {
        c.wait();
        returned.push_back(sim::now());
      });
    }
    s.spawn("late", [&] {
      sim::sleep(5 * kMs);
      c.wait();
      returned.push_back(sim::now());
      try1 = c.try_wait();
      try2 = c.try_wait();
      done = c.done();
    });
    s.spawn("signaller", [&] {
      sim::sleep(kMs);
      c.complete_all();
    });
    s.run();
    c.reinit();
    done_after_reinit = c.done();
  });
  ASSERT_FALSE(r.finding.has_value()) << r.finding->details;
  EXPECT_EQ(returned, (std::vector<Time>{kMs, kMs, kMs, 5 * kMs}));
  EXPECT_TRUE(try1);
  EXPECT_TRUE(try2);
  EXPECT_TRUE(done);
  EXPECT_FALSE(done_after_reinit);
}

TEST(Completion, wait_timeout_returns_true_at_the_completion_and_false_at_the_deadline) {
  bool got = false, missed = true;
  Time got_at = 0, missed_at = 0;
  const auto r = run_sim([&](Scheduler& s) {
    sim::Completion c{"c"};
    s.spawn("waiter", [&] {
      got = c.wait_timeout(10 * kMs);
      got_at = sim::now();
      missed = c.wait_timeout(3 * kMs);
      missed_at = sim::now();
    });
    s.spawn("completer", [&] {
      sim::sleep(4 * kMs);
      c.complete();
    });
    s.run();
  });
  ASSERT_FALSE(r.finding.has_value());
  EXPECT_TRUE(got);
  EXPECT_EQ(got_at, 4 * kMs);
  EXPECT_FALSE(missed);
  EXPECT_EQ(missed_at, 7 * kMs);
}

// --- semaphore -----------------------------------------------------------------------------

TEST(Semaphore, down_n_waits_until_n_units_are_available_at_once) {
  Time took3_at = 0, timed_out_at = 0;
  bool timed = true, try1 = false, try2 = true;
  std::uint64_t after_take = 99, after_timeout = 99;
  const auto r = run_sim([&](Scheduler& s) {
    sim::Semaphore sem{"credits", 0};
    s.spawn("taker", [&] {
      sem.down(3);
      took3_at = sim::now();
      after_take = sem.count();
      timed = sem.down_timeout(2, 5 * kMs);  // only one unit arrives
      timed_out_at = sim::now();
      after_timeout = sem.count();
      try1 = sem.try_down(1);
      try2 = sem.try_down(1);
    });
    s.spawn("giver", [&] {
      for (int i = 0; i < 3; ++i) {
        sim::sleep(kMs);
        sem.up();
      }
      sim::sleep(kMs);
      sem.up();
    });
    s.run();
  });
  ASSERT_FALSE(r.finding.has_value()) << r.finding->details;
  EXPECT_EQ(took3_at, 3 * kMs);
  EXPECT_EQ(after_take, 0u);
  EXPECT_FALSE(timed);
  EXPECT_EQ(timed_out_at, 8 * kMs);
  EXPECT_EQ(after_timeout, 1u);  // a failed down_timeout takes nothing
  EXPECT_TRUE(try1);
  EXPECT_FALSE(try2);
}

TEST(Semaphore, up_wakes_every_waiter_that_now_fits) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    std::vector<Time> returned;
    std::uint64_t left = 99;
    const auto r = run_sim(
        [&](Scheduler& s) {
          sim::Semaphore sem{"sem", 1};
          for (int f = 0; f < 3; ++f) {
            s.spawn("taker", [&] {
              sim::sleep(kUs);  // the count of 1 is gone by now
              sem.down(2);
              returned.push_back(sim::now());
            });
          }
          s.spawn("hog", [&] { sem.down(1); });
          s.spawn("giver", [&] {
            sim::sleep(kMs);
            sem.up(4);  // room for exactly two takers
            sim::sleep(kMs);
            sem.up(2);
          });
          s.run();
          left = sem.count();
        },
        seed);
    ASSERT_FALSE(r.finding.has_value()) << r.finding->details;
    EXPECT_EQ(returned, (std::vector<Time>{kMs, kMs, 2 * kMs})) << "seed " << seed;
    EXPECT_EQ(left, 0u);
  }
}

TEST(Semaphore, down_timeout_succeeds_when_units_arrive_in_time) {
  bool got = false;
  Time at = 0;
  const auto r = run_sim([&](Scheduler& s) {
    sim::Semaphore sem{"sem", 0};
    s.spawn("taker", [&] {
      got = sem.down_timeout(2, 10 * kMs);
      at = sim::now();
    });
    s.spawn("giver", [&] {
      sim::sleep(6 * kMs);
      sem.up(2);
    });
    s.run();
  });
  ASSERT_FALSE(r.finding.has_value());
  EXPECT_TRUE(got);
  EXPECT_EQ(at, 6 * kMs);
}

// --- rwsem -----------------------------------------------------------------------------------

TEST(RwSem, readers_hold_it_concurrently) {
  int inside = 0, max_inside = 0;
  const auto r = run_sim([&](Scheduler& s) {
    sim::RwSem sem{"sem"};
    for (int f = 0; f < 3; ++f) {
      s.spawn("reader", [&] {
        sem.down_read();
        max_inside = std::max(max_inside, ++inside);
        sim::sleep(kMs);
        --inside;
        sem.up_read();
      });
    }
    s.run();
  });
  ASSERT_FALSE(r.finding.has_value());
  EXPECT_EQ(max_inside, 3);
  EXPECT_EQ(r.time, kMs);  // all three slept at once
}

TEST(RwSem, a_writer_excludes_readers_and_other_writers_on_every_seed) {
  for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
    int readers = 0, writers = 0, writes = 0, reads = 0;
    const auto r = run_sim(
        [&](Scheduler& s) {
          sim::RwSem sem{"sem"};
          for (int f = 0; f < 3; ++f) {
            s.spawn("reader", [&] {
              for (int i = 0; i < 3; ++i) {
                sem.down_read();
                ++readers;
                SIM_ASSERT_CMP(writers, ==, 0);
                sim::sleep(sim::draw(2) * kUs);
                ++reads;
                --readers;
                sem.up_read();
              }
            });
          }
          for (int f = 0; f < 2; ++f) {
            s.spawn("writer", [&] {
              for (int i = 0; i < 2; ++i) {
                sem.down_write();
                ++writers;
                SIM_ASSERT_CMP(writers, ==, 1);
                SIM_ASSERT_CMP(readers, ==, 0);
                sim::yield();
                sim::sleep(sim::draw(2) * kUs);
                --writers;
                ++writes;
                sem.up_write();
              }
            });
          }
          s.run();
        },
        seed);
    ASSERT_FALSE(r.finding.has_value()) << "seed " << seed << ": " << r.finding->message;
    EXPECT_EQ(writes, 4);
    EXPECT_EQ(reads, 9);
  }
}

TEST(RwSem, a_waiting_writer_holds_back_readers_that_arrive_after_it) {
  Time writer_in = 0, late_reader_in = 0;
  bool trylock_read = true, trylock_write = true;
  const auto r = run_sim([&](Scheduler& s) {
    sim::RwSem sem{"sem"};
    s.spawn("first_reader", [&] {
      sem.down_read();
      sim::sleep(10 * kMs);
      sem.up_read();
    });
    s.spawn("writer", [&] {
      sim::sleep(kMs);
      sem.down_write();  // waits for first_reader
      writer_in = sim::now();
      sim::sleep(5 * kMs);
      sem.up_write();
    });
    s.spawn("late_reader", [&] {
      sim::sleep(2 * kMs);  // the writer is waiting by now
      trylock_read = sem.down_read_trylock();
      trylock_write = sem.down_write_trylock();
      sem.down_read();
      late_reader_in = sim::now();
      sem.up_read();
    });
    s.run();
  });
  ASSERT_FALSE(r.finding.has_value()) << r.finding->details;
  EXPECT_FALSE(trylock_read);  // only readers hold it, but a writer is waiting
  EXPECT_FALSE(trylock_write);
  EXPECT_EQ(writer_in, 10 * kMs);
  EXPECT_EQ(late_reader_in, 15 * kMs);
}

TEST(RwSem, recursive_read_against_a_waiting_writer_deadlocks) {
  const auto r = run_sim([&](Scheduler& s) {
    sim::RwSem sem{"invalidate_lock"};
    s.spawn("reader", [&] {
      sem.down_read();
      sim::sleep(2 * kMs);
      sem.down_read();  // behind the waiting writer, which waits for us
    });
    s.spawn("writer", [&] {
      sim::sleep(kMs);
      sem.down_write();
    });
    s.run();
  });
  ASSERT_EQ(checker_of(r), "deadlock");
  EXPECT_NE(r.finding->details.find("writers_waiting=1"), std::string::npos) << r.finding->details;
}

TEST(RwSem, downgrade_write_lets_queued_readers_in_but_never_a_waiting_writer) {
  Time reader_in = 0, writer_in = 0;
  bool trylock_write = true;
  const auto r = run_sim([&](Scheduler& s) {
    sim::RwSem sem{"sem"};
    s.spawn("downgrader", [&] {
      sem.down_write();
      sim::sleep(2 * kMs);
      sem.downgrade_write();
      trylock_write = sem.down_write_trylock();  // still held, shared
      sim::sleep(3 * kMs);
      sem.up_read();
    });
    s.spawn("reader", [&] {
      sim::sleep(kMs);
      sem.down_read();  // behind the writer; in at the downgrade
      reader_in = sim::now();
      sim::sleep(kMs);
      sem.up_read();
    });
    s.run();
  });
  ASSERT_FALSE(r.finding.has_value()) << r.finding->details;
  EXPECT_FALSE(trylock_write);
  EXPECT_EQ(reader_in, 2 * kMs);
  const auto w = run_sim([&](Scheduler& s) {
    sim::RwSem sem{"sem"};
    s.spawn("downgrader", [&] {
      sem.down_write();
      sim::sleep(2 * kMs);
      sem.downgrade_write();
      sim::sleep(3 * kMs);
      sem.up_read();
    });
    s.spawn("writer", [&] {
      sim::sleep(kMs);
      sem.down_write();  // must wait for the downgraded reader too
      writer_in = sim::now();
      sem.up_write();
    });
    s.run();
  });
  ASSERT_FALSE(w.finding.has_value()) << w.finding->details;
  EXPECT_EQ(writer_in, 5 * kMs);
}

TEST(RwSem, downgrade_write_without_holding_it_is_an_assertion) {
  const auto r = run_sim([&](Scheduler& s) {
    sim::RwSem sem{"sem"};
    s.spawn("f", [&] {
      sem.down_read();
      sem.downgrade_write();
    });
    s.run();
  });
  ASSERT_EQ(checker_of(r), "assertion");
  EXPECT_NE(r.finding->message.find("not write-held"), std::string::npos);
}

TEST(RwSem, up_read_without_holding_it_is_an_assertion) {
  const auto r = run_sim([&](Scheduler& s) {
    sim::RwSem sem{"sem"};
    s.spawn("f", [&] { sem.up_read(); });
    s.run();
  });
  ASSERT_EQ(checker_of(r), "assertion");
  EXPECT_NE(r.finding->message.find("not read-held"), std::string::npos);
}

// --- bit waits ------------------------------------------------------------------------------

TEST(BitWait, wait_on_bit_returns_at_once_when_the_bit_is_clear) {
  Time at = 1;
  const auto r = run_sim([&](Scheduler& s) {
    sim::FlagsWord flags = 0;
    sim::set_bit(5, flags);  // a different bit
    s.spawn("waiter", [&] {
      sim::wait_on_bit(flags, 3);
      at = sim::now();
    });
    s.spawn("other", [] { sim::sleep(kMs); });
    s.run();
  });
  ASSERT_FALSE(r.finding.has_value());
  EXPECT_EQ(at, 0u);
}

TEST(BitWait, wait_on_bit_blocks_until_clear_and_wake_up_bit) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    std::vector<Time> returned;
    const auto r = run_sim(
        [&](Scheduler& s) {
          sim::FlagsWord flags = 0;
          sim::set_bit(2, flags);
          for (int f = 0; f < 2; ++f) {
            s.spawn("waiter", [&] {
              sim::wait_on_bit(flags, 2);
              SIM_ASSERT(!sim::test_bit(2, flags));
              returned.push_back(sim::now());
            });
          }
          s.spawn("owner", [&] {
            sim::sleep(5 * kMs);
            sim::clear_and_wake_up_bit(2, flags);
          });
          s.run();
        },
        seed);
    ASSERT_FALSE(r.finding.has_value()) << r.finding->details;
    EXPECT_EQ(returned, (std::vector<Time>{5 * kMs, 5 * kMs}));
  }
}

TEST(BitWait, clear_bit_without_wake_up_bit_leaves_the_waiter_deadlocked) {
  const auto r = run_sim([&](Scheduler& s) {
    sim::FlagsWord flags = 0;
    sim::set_bit(0, flags);
    s.spawn("waiter", [&] { sim::wait_on_bit(flags, 0); });
    s.spawn("forgetful", [&] {
      sim::sleep(kMs);
      sim::clear_bit(0, flags);  // no wake_up_bit: a lost wake-up
    });
    s.run();
  });
  ASSERT_EQ(checker_of(r), "deadlock");
  EXPECT_NE(r.finding->details.find("'waiter' blocked in wait_on_bit"), std::string::npos) << r.finding->details;
}

TEST(BitWait, wait_on_bit_timeout_gives_up_at_the_deadline) {
  bool got = true;
  Time at = 0;
  const auto r = run_sim([&](Scheduler& s) {
    sim::FlagsWord flags = 0;
    sim::set_bit(1, flags);
    s.spawn("waiter", [&] {
      got = sim::wait_on_bit_timeout(flags, 1, 3 * kMs);
      at = sim::now();
    });
    s.run();
  });
  ASSERT_FALSE(r.finding.has_value());
  EXPECT_FALSE(got);
  EXPECT_EQ(at, 3 * kMs);
}

// --- workqueue --------------------------------------------------------------------------------

TEST(Workqueue, runs_queued_work_and_an_idle_pool_is_not_a_deadlock) {
  int runs = 0;
  bool queued = false;
  const auto r = run_sim([&](Scheduler& s) {
    sim::Workqueue wq{"wq", 1};
    sim::Work w{"w", [&] { ++runs; }};
    s.spawn("submitter", [&] { queued = wq.queue_work(w); });
    s.run();
  });
  ASSERT_FALSE(r.finding.has_value()) << r.finding->details;
  EXPECT_TRUE(queued);
  EXPECT_EQ(runs, 1);
}

TEST(Workqueue, queue_work_returns_false_when_the_work_is_already_pending) {
  // From the host, where nothing can run in between.
  int runs = 0;
  bool first = false, second = true;
  const auto r = run_sim([&](Scheduler& s) {
    sim::Workqueue wq{"wq", 1};
    sim::Work w{"w", [&] { ++runs; }};
    first = wq.queue_work(w);
    second = wq.queue_work(w);
    s.run();
  });
  ASSERT_FALSE(r.finding.has_value());
  EXPECT_TRUE(first);
  EXPECT_FALSE(second);
  EXPECT_EQ(runs, 1);
}

TEST(Workqueue, queue_work_from_a_fiber_returns_false_while_pending_behind_a_busy_worker) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    int runs = 0;
    bool first = false, second = true, pending = false;
    const auto r = run_sim(
        [&](Scheduler& s) {
          sim::Workqueue wq{"wq", 1};
          sim::Work blocker{"blocker", [] { sim::sleep(5 * kMs); }};
          sim::Work w{"w", [&] { ++runs; }};
          s.spawn("submitter", [&] {
            wq.queue_work(blocker);
            sim::sleep(kMs);  // the only worker is inside blocker
            first = wq.queue_work(w);
            second = wq.queue_work(w);
            pending = w.pending();
          });
          s.run();
        },
        seed);
    ASSERT_FALSE(r.finding.has_value()) << r.finding->details;
    EXPECT_TRUE(first);
    EXPECT_FALSE(second);
    EXPECT_TRUE(pending);
    EXPECT_EQ(runs, 1);
  }
}

TEST(Workqueue, flush_work_waits_for_running_work_to_finish) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    Time flushed_at = 0;
    bool running_after = true, pending_after = true, running_before = false;
    const auto r = run_sim(
        [&](Scheduler& s) {
          sim::Workqueue wq{"wq", 2};
          sim::Work w{"w", [] { sim::sleep(5 * kMs); }};
          s.spawn("flusher", [&] {
            wq.queue_work(w);
            sim::sleep(kMs);
            running_before = w.running();
            wq.flush_work(w);
            flushed_at = sim::now();
            running_after = w.running();
            pending_after = w.pending();
          });
          s.run();
        },
        seed);
    ASSERT_FALSE(r.finding.has_value()) << r.finding->details;
    EXPECT_TRUE(running_before);
    EXPECT_EQ(flushed_at, 5 * kMs);
    EXPECT_FALSE(running_after);
    EXPECT_FALSE(pending_after);
  }
}

TEST(Workqueue, an_item_requeued_while_running_runs_again_but_never_twice_at_once) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    int runs = 0, running = 0, max_running = 0;
    bool requeued = false;
    const auto r = run_sim(
        [&](Scheduler& s) {
          sim::Workqueue wq{"wq", 2};
          sim::Work w{"w", [&] {
                        max_running = std::max(max_running, ++running);
                        sim::sleep(2 * kMs);
                        ++runs;
                        --running;
                      }};
          s.spawn("submitter", [&] {
            wq.queue_work(w);
            sim::sleep(kMs);
            SIM_ASSERT(w.running() && !w.pending());
            requeued = wq.queue_work(w);
            wq.flush_work(w);
          });
          s.run();
        },
        seed);
    ASSERT_FALSE(r.finding.has_value()) << r.finding->details;
    EXPECT_TRUE(requeued);
    EXPECT_EQ(runs, 2);
    EXPECT_EQ(max_running, 1);
    EXPECT_EQ(r.time, 4 * kMs);  // the second run starts when the first ends
  }
}

TEST(Workqueue, cancel_work_removes_pending_work) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    int runs = 0;
    bool cancelled = false, cancelled_again = true, pending_after = true;
    std::size_t queued_after = 99;
    const auto r = run_sim(
        [&](Scheduler& s) {
          sim::Workqueue wq{"wq", 1};
          sim::Work blocker{"blocker", [] { sim::sleep(5 * kMs); }};
          sim::Work w{"w", [&] { ++runs; }};
          s.spawn("submitter", [&] {
            wq.queue_work(blocker);
            sim::sleep(kMs);
            wq.queue_work(w);
            cancelled = wq.cancel_work(w);
            cancelled_again = wq.cancel_work(w);
            pending_after = w.pending();
            queued_after = wq.queued();
            wq.flush_work(w);  // nothing to wait for
            SIM_ASSERT_CMP(sim::now(), ==, kMs);
          });
          s.run();
        },
        seed);
    ASSERT_FALSE(r.finding.has_value()) << r.finding->message;
    EXPECT_TRUE(cancelled);
    EXPECT_FALSE(cancelled_again);
    EXPECT_FALSE(pending_after);
    EXPECT_EQ(queued_after, 0u);
    EXPECT_EQ(runs, 0);
  }
}

TEST(Workqueue, max_active_bounds_the_number_of_items_running_at_once) {
  for (unsigned max_active : {1u, 2u, 3u}) {
    int reached = 0;
    for (std::uint64_t seed = 1; seed <= 60; ++seed) {
      int running = 0, max_running = 0, runs = 0;
      const auto r = run_sim(
          [&](Scheduler& s) {
            sim::Workqueue wq{"wq", max_active};
            std::vector<std::unique_ptr<sim::Work>> items;
            for (int i = 0; i < 6; ++i) {
              items.push_back(std::make_unique<sim::Work>("item", [&] {
                max_running = std::max(max_running, ++running);
                sim::sleep(kMs);
                ++runs;
                --running;
              }));
            }
            s.spawn("submitter", [&] {
              for (auto& w : items) {
                wq.queue_work(*w);
                sim::sleep(sim::draw(3) * 100 * kUs);
              }
              wq.flush();
            });
            s.run();
          },
          seed);
      ASSERT_FALSE(r.finding.has_value()) << r.finding->details;
      EXPECT_EQ(runs, 6);
      EXPECT_LE(max_running, static_cast<int>(max_active)) << "seed " << seed;
      reached += max_running == static_cast<int>(max_active);
    }
    EXPECT_GT(reached, 0) << "max_active " << max_active << " never reached";
  }
}

// --- kthread ----------------------------------------------------------------------------------

TEST(Kthread, stop_wakes_an_idle_kthread_and_returns_after_it_exits) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    bool saw_stop = false, exited_after_stop = false, exited_before_stop = true;
    Time exit_at = 0, stop_returned_at = 0;
    int done = 0;
    const auto r = run_sim(
        [&](Scheduler& s) {
          sim::WaitQueue work_wq{"work_wq"};
          int work = 0;
          sim::Kthread kt("flusher", [&](sim::Kthread& self) {
            while (!self.should_stop()) {
              // Nobody wakes work_wq after the last item: only stop() can.
              work_wq.wait_event_idle([&] { return work > 0 || self.should_stop(); });
              while (work > 0) {
                --work;
                ++done;
              }
            }
            saw_stop = self.should_stop();
            sim::sleep(2 * kMs);  // cleanup after seeing the stop
            exit_at = sim::now();
          });
          s.spawn("client", [&] {
            ++work;
            work_wq.wake_up();
            sim::sleep(5 * kMs);
            exited_before_stop = kt.exited();
            kt.stop();
            stop_returned_at = sim::now();
            exited_after_stop = kt.exited();
          });
          s.run();
        },
        seed);
    ASSERT_FALSE(r.finding.has_value()) << r.finding->details;
    EXPECT_EQ(done, 1);
    EXPECT_TRUE(saw_stop);
    EXPECT_FALSE(exited_before_stop);
    EXPECT_TRUE(exited_after_stop);
    EXPECT_EQ(exit_at, 7 * kMs);
    EXPECT_EQ(stop_returned_at, 7 * kMs);
  }
}

TEST(Kthread, an_idle_kthread_that_is_never_stopped_is_not_a_deadlock) {
  bool started = false;
  const auto r = run_sim([&](Scheduler& s) {
    sim::WaitQueue wq{"wq"};
    sim::Kthread kt("daemon", [&](sim::Kthread& self) {
      started = true;
      wq.wait_event_idle([&] { return self.should_stop(); });
    });
    s.run();
    SIM_ASSERT(!kt.exited());
  });
  EXPECT_FALSE(r.finding.has_value());
  EXPECT_TRUE(started);
}

TEST(Kthread, stop_of_a_kthread_that_already_returned_does_not_wait) {
  Time stopped_at = 1;
  const auto r = run_sim([&](Scheduler& s) {
    sim::Kthread kt("oneshot", [](sim::Kthread&) {});
    s.spawn("stopper", [&] {
      sim::sleep(kMs);
      kt.stop();
      stopped_at = sim::now();
    });
    s.run();
  });
  ASSERT_FALSE(r.finding.has_value());
  EXPECT_EQ(stopped_at, kMs);
}

}  // namespace
}  // namespace wbsim
