// Sweeps whose seeds run in worker processes (sim/sweep_isolation.h): the
// same verdicts, counts and hashes as in the sweep's own threads; a seed
// that kills its process, or throws past its simulation, is a finding of
// that seed and the sweep goes on; a run's result survives its encoding.
#include <gtest/gtest.h>

#include <unistd.h>

#include <csignal>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/mutex.h"
#include "sim/run.h"
#include "sim/run_codec.h"
#include "sim/sweep.h"
#include "sim/sweep_isolation.h"
#include "tests/sim_test_util.h"

namespace wbsim {
namespace {

using sim::Expect;
using sim::SweepOptions;
using sim::SweepTarget;

// Deadlocks on some seeds: ABBA with ordinary scheduling points.
void abba_race(sim::Scheduler& s) {
  sim::Mutex a{"a"};
  sim::Mutex b{"b"};
  s.spawn("ab", [&] {
    sim::MutexGuard ga(a);
    sim::MutexGuard gb(b);
  });
  s.spawn("ba", [&] {
    sim::MutexGuard gb(b);
    sim::MutexGuard ga(a);
  });
  s.run();
}

SweepTarget target(std::string name, Expect expect, std::string checker,
                   std::function<sim::RunResult(std::uint64_t, bool)> run) {
  SweepTarget t;
  t.name = std::move(name);
  t.expect = expect;
  t.expect_checker = std::move(checker);
  t.run = std::move(run);
  return t;
}

sim::RunResult run_abba(std::uint64_t seed, bool full) {
  return sim::run_simulation(test::make_config(seed, {}, full), true, abba_race, "");
}

SweepOptions options(std::uint64_t seeds, unsigned jobs) {
  SweepOptions o;
  o.seeds = seeds;
  o.jobs = jobs;
  o.recheck_every = 5;
  return o;
}

TEST(SweepIsolation, workers_give_the_same_verdicts_counts_and_failures_as_the_sweeps_own_threads) {
  const std::vector<SweepTarget> targets{target("abba", Expect::fail_sometimes, "deadlock", run_abba)};
  const sim::SweepReport here = sim::run_sweep(targets, options(60, 2), {});
  const sim::SweepReport there = sim::run_sweep(sim::run_in_workers(targets), options(60, 2), {});
  ASSERT_EQ(here.targets.size(), 1u);
  ASSERT_EQ(there.targets.size(), 1u);
  const sim::TargetSummary& a = here.targets[0];
  const sim::TargetSummary& b = there.targets[0];
  EXPECT_EQ(a.seeds_run, 60u);
  EXPECT_EQ(b.seeds_run, a.seeds_run);
  EXPECT_GT(a.expected_hits, 0u);
  EXPECT_EQ(b.expected_hits, a.expected_hits);
  EXPECT_EQ(b.steps, a.steps);
  EXPECT_EQ(b.mark_hits, a.mark_hits);
  EXPECT_EQ(b.verdict, a.verdict);
  EXPECT_FALSE(there.mismatch.has_value());
  EXPECT_EQ(there.rechecked, here.rechecked);
}

TEST(SweepIsolation, a_seed_that_kills_its_worker_is_a_finding_of_that_seed_and_the_sweep_goes_on) {
  const std::vector<SweepTarget> targets{
      target("segv", Expect::pass, "", [](std::uint64_t seed, bool full) {
        if (seed == 4) std::raise(SIGSEGV);
        return run_abba(1, full);  // seed 1 of the race passes
      }),
      target("throws", Expect::pass, "", [](std::uint64_t seed, bool full) {
        if (seed == 2) throw std::runtime_error("not a simulation's exception");
        return run_abba(1, full);
      })};
  ASSERT_FALSE(run_abba(1, false).finding.has_value());
  const sim::SweepReport report = sim::run_sweep(sim::run_in_workers(targets), options(6, 2), {});
  ASSERT_EQ(report.targets.size(), 2u);
  for (const sim::TargetSummary& t : report.targets) {
    EXPECT_EQ(t.seeds_run, 6u) << t.name;
    EXPECT_EQ(t.unexpected, 1u) << t.name;
    EXPECT_FALSE(t.passed) << t.name;
    ASSERT_EQ(t.failures.size(), 1u) << t.name;
    EXPECT_TRUE(sim::died_in_worker(t.failures[0].result)) << t.name;
  }
  const sim::Finding& segv = *report.targets[0].failures[0].result.finding;
  EXPECT_EQ(report.targets[0].failures[0].seed, 4u);
  EXPECT_EQ(segv.checker, "crash");
  EXPECT_NE(segv.message.find("signal 11"), std::string::npos) << segv.message;
  const sim::Finding& thrown = *report.targets[1].failures[0].result.finding;
  EXPECT_EQ(report.targets[1].failures[0].seed, 2u);
  EXPECT_EQ(thrown.checker, "exception");
  EXPECT_NE(thrown.message.find("not a simulation's exception"), std::string::npos) << thrown.message;
}

// Every other seed kills its worker, from two sweep threads at once: each
// new worker comes from the zygote (sim/worker_zygote.h), never from a
// fork in a sweep thread while the other runs, and every death is named.
TEST(SweepIsolation, workers_restarted_from_several_threads_come_from_the_zygote_and_every_death_is_a_finding) {
  const pid_t sweep = ::getpid();
  const std::vector<SweepTarget> targets{target("dies", Expect::pass, "", [sweep](std::uint64_t seed, bool full) {
    if (::getppid() == sweep) std::abort();  // forked by a sweep thread
    if (seed % 2 == 0) std::raise(SIGSEGV);
    return run_abba(1, full);
  })};
  SweepOptions o = options(40, 2);
  o.keep_failures = 100;
  const sim::SweepReport report = sim::run_sweep(sim::run_in_workers(targets), o, {});
  ASSERT_EQ(report.targets.size(), 1u);
  const sim::TargetSummary& t = report.targets[0];
  EXPECT_EQ(t.seeds_run, 40u);
  EXPECT_EQ(t.unexpected, 20u);
  ASSERT_FALSE(t.failures.empty());
  for (const sim::SeedFailure& f : t.failures) {
    EXPECT_EQ(f.seed % 2, 0u) << f.seed;
    EXPECT_EQ(f.result.finding->checker, "crash") << f.seed;
    EXPECT_NE(f.result.finding->message.find("signal 11"), std::string::npos) << f.result.finding->message;
  }
}

TEST(SweepIsolation, an_exception_from_host_code_or_of_any_type_in_a_fiber_is_a_finding) {
  const sim::RunResult host = sim::run_simulation(test::make_config(1), false, [](sim::Scheduler& s) {
    s.spawn("waiting", [] { sim::yield(); });
    throw 42;
  }, "");
  ASSERT_TRUE(host.finding.has_value());
  EXPECT_EQ(host.finding->checker, "exception");
  EXPECT_NE(host.finding->message.find("host code"), std::string::npos) << host.finding->message;
  const sim::RunResult fiber = sim::run_simulation(test::make_config(1), false, [](sim::Scheduler& s) {
    s.spawn("thrower", [] { throw 42; });
    s.run();
  }, "");
  ASSERT_TRUE(fiber.finding.has_value());
  EXPECT_EQ(fiber.finding->checker, "exception");
  EXPECT_EQ(fiber.finding->fiber_name, "thrower");
}

TEST(RunCodec, a_failing_run_survives_encoding_and_a_cut_encoding_is_refused) {
  sim::RunResult r;
  for (std::uint64_t seed = 1; seed < 100 && !r.finding; ++seed) r = run_abba(seed, true);
  ASSERT_TRUE(r.finding.has_value());
  const std::string bytes = sim::encode_run(r);
  sim::RunResult back;
  ASSERT_TRUE(sim::decode_run(bytes, &back));
  EXPECT_EQ(back.finding->checker, r.finding->checker);
  EXPECT_EQ(back.finding->message, r.finding->message);
  EXPECT_EQ(back.finding->details, r.finding->details);
  EXPECT_EQ(back.finding->fiber_name, r.finding->fiber_name);
  EXPECT_EQ(back.trace_hash, r.trace_hash);
  EXPECT_EQ(back.tape, r.tape);
  EXPECT_EQ(back.trace_tail, r.trace_tail);
  EXPECT_EQ(back.trace_all, r.trace_all);
  EXPECT_EQ(back.mark_hits, r.mark_hits);
  EXPECT_EQ(back.steps, r.steps);
  for (const std::size_t cut : {std::size_t{0}, std::size_t{7}, bytes.size() / 2, bytes.size() - 1})
    EXPECT_FALSE(sim::decode_run(bytes.substr(0, cut), &back)) << cut;
  EXPECT_FALSE(sim::decode_run(bytes + "x", &back));
}

}  // namespace
}  // namespace wbsim
