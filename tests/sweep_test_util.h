// Targets and bodies the sweep tests share: a body that never fails, one
// that deadlocks on some seeds only, and a sweep target around a body.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "sim/mutex.h"
#include "sim/run.h"
#include "sim/sweep.h"
#include "sim/waitqueue.h"
#include "tests/sim_test_util.h"

namespace wbsim::test {

inline sim::SweepTarget make_target(std::string name, sim::Expect expect, std::string checker, sim::Body body) {
  sim::SweepTarget t;
  t.name = std::move(name);
  t.expect = expect;
  t.expect_checker = std::move(checker);
  t.run = [body = std::move(body)](std::uint64_t seed, bool keep_full_trace) {
    return sim::run_simulation(test::make_config(seed, {}, keep_full_trace), true, body, "");
  };
  return t;
}

// Never fails: a mutex-protected counter.
inline void passing_body(sim::Scheduler& s) {
  sim::Mutex m{"m"};
  int counter = 0;
  for (int f = 0; f < 3; ++f) {
    s.spawn("inc", [&] {
      for (int i = 0; i < 3; ++i) {
        sim::MutexGuard g(m);
        const int seen = counter;
        sim::yield();
        counter = seen + 1;
      }
    });
  }
  s.run();
}

// Deadlocks on every seed.
inline constexpr auto abba_body = forced_abba_body;

// Deadlocks on some seeds only.
inline void lost_wakeup_body(sim::Scheduler& s) {
  sim::WaitQueue wq{"wq"};
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
}

inline sim::SweepOptions sweep_options(std::uint64_t seeds, unsigned jobs = 1, std::uint32_t recheck_every = 0) {
  sim::SweepOptions o;
  o.seeds = seeds;
  o.jobs = jobs;
  o.recheck_every = recheck_every;
  return o;
}

}  // namespace wbsim::test
