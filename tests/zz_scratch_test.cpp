#include <gtest/gtest.h>
#include "sim/completion.h"
#include "sim/kthread.h"
#include "sim/waitqueue.h"
#include "sim/workqueue.h"
#include "tests/sim_test_util.h"
namespace wbsim { namespace {
using namespace sim;
TEST(Scratch, stale_waitlist_after_wake_up_process) {
  Time slept_until = 0;
  auto r = test::run_sim([&](Scheduler& s) {
    WaitQueue wq{"wq"};
    Kthread kt("kt", [&](Kthread& self) {
      wq.wait_event_idle([&] { return self.should_stop(); });
      sim::sleep(10 * kMs);  // cleanup
      slept_until = sim::now();
    });
    s.spawn("stopper", [&] { sim::sleep(kMs); kt.stop(); });
    s.spawn("poker", [&] { sim::sleep(2 * kMs); wq.wake_up(); });
    s.run();
  });
  std::printf("finding=%s slept_until=%llu us\n", test::checker_of(r).c_str(), (unsigned long long)slept_until / 1000);
}
TEST(Scratch, workqueue_burst_seeds) {
  int dead = 0, serial = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    Time end = 0;
    auto r = test::run_sim([&](Scheduler& s) {
      Workqueue wq{"wq", 2};
      Work a("a", [&] { sim::sleep(kMs); });
      Work b("b", [&] { sim::sleep(kMs); });
      s.spawn("sub", [&] { wq.queue_work(a); wq.queue_work(b); wq.flush(); end = sim::now(); });
      s.run();
    }, seed);
    if (end == 2 * kMs) ++serial;
    auto r2 = test::run_sim([&](Scheduler& s) {
      Workqueue wq{"wq", 2};
      Completion c{"b_done"};
      Work a("a", [&] { c.wait(); });
      Work b("b", [&] { c.complete(); });
      s.spawn("sub", [&] { wq.queue_work(a); wq.queue_work(b); wq.flush(); });
      s.run();
    }, seed);
    if (r2.finding) { ++dead; if (dead == 1) std::printf("seed %llu: %s\n%s\n", (unsigned long long)seed, r2.finding->message.c_str(), r2.finding->details.c_str()); }
  }
  std::printf("serial=%d dead=%d\n", serial, dead);
}
TEST(Scratch, workqueue_burst) {
  Time end = 0; int maxr = 0;
  auto r = test::run_sim([&](Scheduler& s) {
    Workqueue wq{"wq", 2};
    int running = 0;
    Work a("a", [&] { ++running; maxr = std::max(maxr, running); sim::sleep(kMs); --running; });
    Work b("b", [&] { ++running; maxr = std::max(maxr, running); sim::sleep(kMs); --running; });
    s.spawn("sub", [&] { wq.queue_work(a); wq.queue_work(b); wq.flush(); end = sim::now(); });
    s.run();
  });
  std::printf("finding=%s end=%llu us max=%d\n", test::checker_of(r).c_str(), (unsigned long long)end / 1000, maxr);
  auto r2 = test::run_sim([&](Scheduler& s) {
    Workqueue wq{"wq", 2};
    Completion c{"b_done"};
    Work a("a", [&] { c.wait(); });
    Work b("b", [&] { c.complete(); });
    s.spawn("sub", [&] { wq.queue_work(a); wq.queue_work(b); wq.flush(); });
    s.run();
  });
  std::printf("finding=%s %s\n", test::checker_of(r2).c_str(), r2.finding ? r2.finding->details.c_str() : "");
}
}}
namespace wbsim { namespace {
using namespace sim;
TEST(Scratch, replay_debug) {
  auto body = [](Scheduler& s) {
    for (int f = 0; f < 3; ++f) s.spawn("f" + std::to_string(f), [] { for (int i = 0; i < 3; ++i) sim::yield(); });
    s.run();
  };
  auto rec = test::run_sim(body, 5, {}, true);
  auto rep = test::replay_sim(body, rec.tape, 5, true);
  for (auto c : rec.tape.choices()) std::printf("%u ", c); std::printf("\n");
  for (auto c : rep.tape.choices()) std::printf("%u ", c); std::printf("\n");
  if (rep.divergence) std::printf("div at %zu rec %u bound %u\n", rep.divergence->position, rep.divergence->recorded, rep.divergence->bound);
  for (size_t i = 0; i < rec.trace_all.size() && i < 12; ++i) std::printf("%s || %s\n", rec.trace_all[i].c_str(), rep.trace_all[i].c_str());
}
}}
