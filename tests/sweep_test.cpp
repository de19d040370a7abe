// The sweep driver: verdicts per expectation, the determinism re-check,
// and independence from the number of threads (shards: sweep_shard_test.cpp).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "sim/assert.h"
#include "sim/completion.h"
#include "sim/known_finding.h"
#include "sim/mutex.h"
#include "sim/run.h"
#include "sim/sweep.h"
#include "sim/waitqueue.h"
#include "tests/sim_test_util.h"
#include "tests/sweep_test_util.h"

namespace wbsim {
namespace {

using sim::Expect;
using sim::Scheduler;
using sim::SweepOptions;
using sim::SweepTarget;
using test::abba_body;
using test::lost_wakeup_body;
using test::make_target;
using test::passing_body;
SweepOptions options(std::uint64_t seeds, unsigned jobs = 1, std::uint32_t recheck_every = 0) {
  return test::sweep_options(seeds, jobs, recheck_every);
}

// --- verdicts ---------------------------------------------------------------------

// A pinned finding of the tests: its path is "the seed is odd".
WBSIM_KNOWN_FINDING(kTestFinding, "test-odd-seed-path", "test-checker", "-", "a test's pinned path");

// Fails by `checker` on every seed; on odd seeds only after taking the
// pinned finding's path.
sim::Body fails_on_every_seed(const char* checker) {
  return [checker](Scheduler& s) {
    s.spawn("f", [checker] {
      if (sim::draw(2) == 1) sim::known_finding_reached(kTestFinding);
      SIM_CHECK(checker, false, "always");
    });
    s.run();
  };
}

TEST(Sweep, a_failure_on_a_pinned_findings_path_by_its_checker_is_counted_apart) {
  const auto report =
      sim::run_sweep({make_target("pinned", Expect::pass, "", fails_on_every_seed("test-checker"))}, options(40), {});
  const auto& t = report.targets[0];
  ASSERT_GT(t.known, 0u);
  ASSERT_LT(t.known, 40u);
  EXPECT_EQ(t.known + t.unexpected, 40u);  // the seeds that did not take the path still fail
  EXPECT_FALSE(t.passed);
  ASSERT_EQ(t.known_by_finding.size(), 1u);
  EXPECT_EQ(t.known_by_finding.begin()->first, "test-odd-seed-path");
  EXPECT_EQ(t.known_by_finding.begin()->second.first, t.known);
}

TEST(Sweep, a_failure_by_another_checker_is_not_explained_by_a_pinned_finding) {
  const auto report =
      sim::run_sweep({make_target("other", Expect::pass, "", fails_on_every_seed("another-checker"))}, options(40), {});
  const auto& t = report.targets[0];
  EXPECT_EQ(t.known, 0u);
  EXPECT_EQ(t.unexpected, 40u);
}

// A finding's own scenario expects its checker; a seed where the checker
// fired without the finding's path is not the finding.
TEST(Sweep, a_pinned_findings_scenario_counts_only_failures_on_the_findings_path) {
  SweepTarget t = make_target("finding", Expect::fail_always, "test-checker", fails_on_every_seed("test-checker"));
  t.pinned = &kTestFinding;
  const auto report = sim::run_sweep({t}, options(40), {});
  const auto& r = report.targets[0];
  ASSERT_GT(r.expected_hits, 0u);
  ASSERT_LT(r.expected_hits, 40u);
  EXPECT_EQ(r.expected_hits + r.unexpected, 40u);
  EXPECT_FALSE(r.passed);
  EXPECT_NE(r.verdict.find("not on its pinned finding's path"), std::string::npos) << r.verdict;
}

TEST(Sweep, a_pinned_findings_scenario_that_always_takes_the_path_passes) {
  SweepTarget t = make_target("finding", Expect::fail_always, "test-checker", [](Scheduler& s) {
    s.spawn("f", [] {
      sim::known_finding_reached(kTestFinding);
      SIM_CHECK("test-checker", false, "always");
    });
    s.run();
  });
  t.pinned = &kTestFinding;
  const auto report = sim::run_sweep({t}, options(20), {});
  EXPECT_TRUE(report.targets[0].passed) << report.targets[0].verdict;
  EXPECT_EQ(report.targets[0].expected_hits, 20u);
}

TEST(Sweep, a_pass_target_with_no_finding_passes) {
  const auto report = sim::run_sweep({make_target("ok", Expect::pass, "", passing_body)}, options(60, 1, 5), {});
  ASSERT_EQ(report.targets.size(), 1u);
  const auto& t = report.targets[0];
  EXPECT_EQ(t.name, "ok");
  EXPECT_TRUE(t.passed);
  EXPECT_EQ(t.verdict, "ok");
  EXPECT_EQ(t.seeds_run, 60u);
  EXPECT_EQ(t.unexpected, 0u);
  EXPECT_GT(t.steps, 0u);
  EXPECT_TRUE(t.failures.empty());
  EXPECT_FALSE(report.mismatch.has_value());
  EXPECT_FALSE(report.time_limited);
  EXPECT_GT(report.rechecked, 0u);
}

// Failing seeds are grouped by cause (checker, where, message shape); a
// group keeps its shortest run, the same whatever the thread count.
TEST(Sweep, a_pass_target_that_fails_on_some_seeds_fails_and_keeps_each_causes_shortest_run) {
  for (unsigned jobs : {1u, 3u}) {
    SweepOptions o = options(100, jobs);
    const auto report = sim::run_sweep({make_target("flaky", Expect::pass, "", lost_wakeup_body)}, o, {});
    const auto& t = report.targets[0];
    EXPECT_FALSE(t.passed);
    EXPECT_GT(t.unexpected, 0u);
    EXPECT_LT(t.unexpected, 100u);
    EXPECT_NE(t.verdict.find("FAIL"), std::string::npos) << t.verdict;
    ASSERT_EQ(t.failures.size(), 1u);  // one cause: the lost wakeup's deadlock
    const auto& f = t.failures[0];
    ASSERT_TRUE(f.result.finding.has_value());
    EXPECT_EQ(f.result.finding->checker, "deadlock");
    EXPECT_EQ(f.group_seeds, t.unexpected);
    EXPECT_LE(f.group_first_seed, f.seed);
    // The kept run is the one for that seed, and no failing seed is shorter.
    EXPECT_EQ(f.result.trace_hash, test::run_sim(lost_wakeup_body, f.seed).trace_hash);
    for (std::uint64_t seed = 1; seed <= 100; ++seed) {
      const auto r = test::run_sim(lost_wakeup_body, seed);
      if (r.finding) {
        EXPECT_GE(r.steps, f.result.steps) << seed;
      }
      if (r.finding && r.steps == f.result.steps) {
        EXPECT_GE(seed, f.seed);
      }
    }
  }
}

TEST(Sweep, failure_shapes_mask_numbers_and_keep_the_checker_and_where) {
  sim::RunResult a, b, c;
  a.finding = sim::Finding{"deadlock", "folio 12 at 0x3000 blocked", "", "x.cpp:3"};
  b.finding = sim::Finding{"deadlock", "folio 7 at 0x1f00 blocked", "", "x.cpp:3"};
  c.finding = sim::Finding{"deadlock", "folio 7 at 0x1f00 blocked", "", "x.cpp:4"};
  EXPECT_EQ(sim::failure_shape(a), sim::failure_shape(b));
  EXPECT_NE(sim::failure_shape(a), sim::failure_shape(c));
  EXPECT_EQ(sim::failure_shape(sim::RunResult{}), "(none)");
}

TEST(Sweep, fail_always_whose_checker_fires_on_every_seed_passes) {
  const auto report =
      sim::run_sweep({make_target("abba", Expect::fail_always, "deadlock", abba_body)}, options(50), {});
  const auto& t = report.targets[0];
  EXPECT_TRUE(t.passed) << t.verdict;
  EXPECT_EQ(t.expected_hits, 50u);
  EXPECT_EQ(t.seeds_run, 50u);
  EXPECT_EQ(t.unexpected, 0u);
}

TEST(Sweep, fail_always_that_does_not_fire_fails_on_every_seed) {
  const auto report =
      sim::run_sweep({make_target("quiet", Expect::fail_always, "deadlock", passing_body)}, options(40), {});
  const auto& t = report.targets[0];
  EXPECT_FALSE(t.passed);
  EXPECT_EQ(t.expected_hits, 0u);
  EXPECT_EQ(t.unexpected, 40u);
  EXPECT_NE(t.verdict.find("'deadlock' did not fire"), std::string::npos) << t.verdict;
}

TEST(Sweep, fail_always_that_fires_only_sometimes_fails) {
  const auto report =
      sim::run_sweep({make_target("sometimes", Expect::fail_always, "deadlock", lost_wakeup_body)}, options(100), {});
  const auto& t = report.targets[0];
  EXPECT_FALSE(t.passed);
  EXPECT_GT(t.expected_hits, 0u);
  EXPECT_EQ(t.expected_hits + t.unexpected, 100u);
}

TEST(Sweep, fail_always_with_a_different_checker_firing_fails) {
  const auto report =
      sim::run_sweep({make_target("wrong", Expect::fail_always, "livelock", abba_body)}, options(20), {});
  const auto& t = report.targets[0];
  EXPECT_FALSE(t.passed);
  EXPECT_EQ(t.expected_hits, 0u);
  EXPECT_EQ(t.unexpected, 20u);
}

TEST(Sweep, fail_sometimes_that_never_fires_fails) {
  const auto report =
      sim::run_sweep({make_target("never", Expect::fail_sometimes, "deadlock", passing_body)}, options(40), {});
  const auto& t = report.targets[0];
  EXPECT_FALSE(t.passed);
  EXPECT_EQ(t.unexpected, 0u);
  EXPECT_EQ(t.expected_hits, 0u);
  EXPECT_NE(t.verdict.find("never fired in 40 seeds"), std::string::npos) << t.verdict;
}

TEST(Sweep, fail_sometimes_that_fires_on_some_seeds_passes) {
  const auto report = sim::run_sweep(
      {make_target("lost_wakeup", Expect::fail_sometimes, "deadlock", lost_wakeup_body)}, options(100), {});
  const auto& t = report.targets[0];
  EXPECT_TRUE(t.passed) << t.verdict;
  EXPECT_GT(t.expected_hits, 0u);
  EXPECT_LT(t.expected_hits, 100u);
  EXPECT_EQ(t.unexpected, 0u);
}

// --- the determinism re-check ---------------------------------------------------------

TEST(Sweep, a_target_whose_trace_depends_on_hidden_state_is_a_determinism_mismatch) {
  static std::atomic<int> calls{0};
  auto leaky = [](Scheduler& s) {
    const int yields = 1 + calls.fetch_add(1) % 3;  // differs between runs of one seed
    for (int f = 0; f < 2; ++f) {
      s.spawn("leaky", [yields] {
        for (int i = 0; i < yields; ++i) sim::yield();
      });
    }
    s.run();
  };
  const auto report = sim::run_sweep({make_target("leaky", Expect::pass, "", leaky)}, options(20, 1, 1), {});
  ASSERT_TRUE(report.mismatch.has_value());
  EXPECT_EQ(report.mismatch->target, "leaky");
  EXPECT_GE(report.mismatch->seed, 1u);
  EXPECT_LE(report.mismatch->seed, 20u);
  EXPECT_NE(report.mismatch->first_hash, report.mismatch->second_hash);
  EXPECT_FALSE(report.mismatch->first_difference.empty());
  EXPECT_FALSE(report.time_limited);
}

TEST(Sweep, a_deterministic_target_rechecked_on_every_seed_has_no_mismatch) {
  const auto report = sim::run_sweep({make_target("abba", Expect::fail_always, "deadlock", abba_body),
                                      make_target("lost_wakeup", Expect::fail_sometimes, "deadlock", lost_wakeup_body)},
                                     options(50, 2, 1), {});
  EXPECT_FALSE(report.mismatch.has_value());
  EXPECT_EQ(report.rechecked, 100u);
  EXPECT_TRUE(report.targets[0].passed);
  EXPECT_TRUE(report.targets[1].passed);
}

// --- threads ---------------------------------------------------------------------------------

TEST(Sweep, results_are_identical_with_one_and_two_jobs) {
  const std::vector<SweepTarget> targets = {
      make_target("ok", Expect::pass, "", passing_body),
      make_target("flaky", Expect::pass, "", lost_wakeup_body),
      make_target("abba", Expect::fail_always, "deadlock", abba_body),
      make_target("lost_wakeup", Expect::fail_sometimes, "deadlock", lost_wakeup_body),
  };
  std::vector<std::string> done_order[2];
  sim::SweepReport reports[2];
  for (unsigned jobs : {1u, 2u}) {
    sim::SweepCallbacks cb;
    cb.target_done = [&, jobs](const sim::TargetSummary& s) { done_order[jobs - 1].push_back(s.name); };
    reports[jobs - 1] = sim::run_sweep(targets, options(150, jobs, 10), cb);
  }
  const auto& a = reports[0];
  const auto& b = reports[1];
  ASSERT_EQ(a.targets.size(), b.targets.size());
  for (std::size_t i = 0; i < a.targets.size(); ++i) {
    SCOPED_TRACE(a.targets[i].name);
    EXPECT_EQ(a.targets[i].name, b.targets[i].name);
    EXPECT_EQ(a.targets[i].seeds_run, 150u);
    EXPECT_EQ(a.targets[i].seeds_run, b.targets[i].seeds_run);
    EXPECT_EQ(a.targets[i].unexpected, b.targets[i].unexpected);
    EXPECT_EQ(a.targets[i].expected_hits, b.targets[i].expected_hits);
    EXPECT_EQ(a.targets[i].steps, b.targets[i].steps);
    EXPECT_EQ(a.targets[i].passed, b.targets[i].passed);
    EXPECT_EQ(a.targets[i].verdict, b.targets[i].verdict);
    ASSERT_EQ(a.targets[i].failures.size(), b.targets[i].failures.size());
    for (std::size_t k = 0; k < a.targets[i].failures.size(); ++k) {
      EXPECT_EQ(a.targets[i].failures[k].seed, b.targets[i].failures[k].seed);
      EXPECT_EQ(a.targets[i].failures[k].result.trace_hash, b.targets[i].failures[k].result.trace_hash);
      EXPECT_EQ(a.targets[i].failures[k].result.tape, b.targets[i].failures[k].result.tape);
    }
  }
  EXPECT_EQ(a.rechecked, b.rechecked);
  EXPECT_FALSE(a.mismatch.has_value());
  EXPECT_FALSE(b.mismatch.has_value());
  const std::vector<std::string> order{"ok", "flaky", "abba", "lost_wakeup"};
  EXPECT_EQ(done_order[0], order);
  EXPECT_EQ(done_order[1], order);
  // The flaky pass target is the only one that fails.
  EXPECT_TRUE(a.targets[0].passed);
  EXPECT_FALSE(a.targets[1].passed);
  EXPECT_TRUE(a.targets[2].passed);
  EXPECT_TRUE(a.targets[3].passed);
}

}  // namespace
}  // namespace wbsim
