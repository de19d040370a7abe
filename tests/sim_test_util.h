// Shared helpers for the simulation runtime's unit tests: running a body in
// a fresh simulation and inspecting the structured trace.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "sim/completion.h"
#include "sim/coverage.h"
#include "sim/mutex.h"
#include "sim/run.h"
#include "sim/scheduler.h"
#include "sim/strategy.h"
#include "sim/tape.h"
#include "sim/trace.h"

namespace wbsim::test {

namespace sim = ::wbsim::sim;

// How often run `r` hit the coverage mark called `name`; a name no mark has
// fails the test (a misspelt name would otherwise read as "never hit").
inline std::uint64_t mark_hits(const sim::RunResult& r, std::string_view name) {
  for (const sim::CoverageMark* m : sim::coverage_marks()) {
    if (m->name() == name) return m->index() < r.mark_hits.size() ? r.mark_hits[m->index()] : 0;
  }
  ADD_FAILURE() << "no coverage mark " << name;
  return 0;
}

inline sim::SchedulerConfig make_config(std::uint64_t seed,
                                        sim::StrategySpec strategy = {},
                                        bool keep_full_trace = false) {
  sim::SchedulerConfig c;
  c.seed = seed;
  c.strategy = strategy;
  c.keep_full_trace = keep_full_trace;
  return c;
}

inline sim::StrategySpec pct(std::uint32_t depth) {
  sim::StrategySpec s;
  s.kind = sim::StrategySpec::Kind::pct;
  s.pct_depth = depth;
  return s;
}

inline sim::StrategySpec replay_spec() {
  sim::StrategySpec s;
  s.kind = sim::StrategySpec::Kind::replay;
  return s;
}

// Runs `body` once with the given seed and strategy (faults on).
inline sim::RunResult run_sim(const sim::Body& body, std::uint64_t seed = 1,
                              sim::StrategySpec strategy = {}, bool keep_full_trace = false) {
  return sim::run_simulation(make_config(seed, strategy, keep_full_trace), /*faults=*/true, body, "");
}

// Replays `tape` with the same body (fallback seed `seed`).
inline sim::RunResult replay_sim(const sim::Body& body, const sim::Tape& tape, std::uint64_t seed = 1,
                                 bool keep_full_trace = true) {
  sim::SchedulerConfig c = make_config(seed, replay_spec(), keep_full_trace);
  c.replay_tape = &tape;
  return sim::run_simulation(c, /*faults=*/true, body, "");
}

// Two fibers take `lock_a` and `lock_b` in opposite order, with a rendezvous
// after the first lock: a deadlock on every seed and schedule.
inline void forced_abba_body(sim::Scheduler& s) {
  sim::Mutex a{"lock_a"}, b{"lock_b"};
  sim::Completion left_holds{"left_holds"}, right_holds{"right_holds"};
  s.spawn("left", [&] {
    a.lock();
    left_holds.complete();
    right_holds.wait();
    b.lock();
  });
  s.spawn("right", [&] {
    b.lock();
    right_holds.complete();
    left_holds.wait();
    a.lock();
  });
  s.run();
}

inline std::string checker_of(const sim::RunResult& r) { return r.finding ? r.finding->checker : std::string(); }

inline bool has_reason(const sim::TraceRecord& r, sim::Reason reason) {
  return r.reason == static_cast<std::uint16_t>(reason);
}

}  // namespace wbsim::test
