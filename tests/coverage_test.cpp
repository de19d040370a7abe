// Coverage marks: the registry (sorted by name, index = position), hit counts
// per run, the MARK trace line, replay, sums over a sweep, and the runtime's
// own mark in the workqueue.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "sim/coverage.h"
#include "sim/run.h"
#include "sim/scheduler.h"
#include "sim/sweep.h"
#include "sim/workqueue.h"
#include "tests/sim_test_util.h"

namespace wbsim {
namespace {

// Declared out of name order on purpose: the registry sorts them.
WBSIM_MARK(kMarkZulu, "test.zulu", "a test fiber reached its last step");
WBSIM_MARK(kMarkAlpha, "test.alpha", "a test fiber drew a zero");

using sim::Scheduler;
using test::run_sim;

std::uint64_t hits(const sim::RunResult& r, const sim::CoverageMark& m) {
  EXPECT_LT(m.index(), r.mark_hits.size());
  return m.index() < r.mark_hits.size() ? r.mark_hits[m.index()] : 0;
}

// Two fibers: "fixed" hits alpha 3 times and zulu once; "drawing" hits alpha
// once per zero drawn in 10 draws, so the count depends on the seed.
void marking_body(Scheduler& s) {
  s.spawn("fixed", [] {
    for (int i = 0; i < 3; ++i) {
      sim::mark(kMarkAlpha);
      sim::yield();
    }
    sim::mark(kMarkZulu);
  });
  s.spawn("drawing", [] {
    for (int i = 0; i < 10; ++i) {
      if (sim::draw(2) == 0) sim::mark(kMarkAlpha);
    }
  });
  s.run();
}

// The number of zeros "drawing" drew, from the full trace.
std::uint64_t zeros_drawn(const sim::RunResult& r) {
  std::uint64_t n = 0;
  for (const std::string& line : r.trace_all) {
    if (line.find("drawing") != std::string::npos && line.find(" DRAW ") != std::string::npos &&
        line.substr(line.size() - 4) == " 2 0")
      ++n;
  }
  return n;
}

// --- the registry ------------------------------------------------------------

TEST(CoverageMarks, are_sorted_by_name_and_index_is_the_position) {
  const auto marks = sim::coverage_marks();
  ASSERT_GE(marks.size(), 3u);
  for (std::size_t i = 0; i < marks.size(); ++i) {
    EXPECT_EQ(marks[i]->index(), i) << marks[i]->name();
    if (i > 0) {
      EXPECT_LT(std::strcmp(marks[i - 1]->name(), marks[i]->name()), 0);
    }
  }
  EXPECT_LT(kMarkAlpha.index(), kMarkZulu.index());
  EXPECT_EQ(marks[kMarkAlpha.index()], &kMarkAlpha);
  EXPECT_EQ(marks[kMarkZulu.index()], &kMarkZulu);
  EXPECT_STREQ(kMarkAlpha.name(), "test.alpha");
  EXPECT_STREQ(kMarkAlpha.description(), "a test fiber drew a zero");
}

TEST(CoverageMarks, the_runtime_registers_its_workqueue_mark) {
  bool found = false;
  for (const sim::CoverageMark* m : sim::coverage_marks())
    found = found || std::strcmp(m->name(), "sim.work_requeued_while_running") == 0;
  EXPECT_TRUE(found);
}

TEST(CoverageMarksDeathTest, a_mark_registered_after_start_up_aborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  sim::coverage_marks();  // sealed
  EXPECT_DEATH({ sim::CoverageMark late("test.late", "too late"); }, "coverage mark 'test.late' registered after");
}

// --- counting and tracing ------------------------------------------------------

// Checker evaluations are counted as marks named checker.NAME (sim/checker.h).
static bool is_checker_mark(std::size_t i) { return std::string_view(sim::coverage_marks()[i]->name()).starts_with("checker."); }

static std::uint64_t checker_evals(const sim::RunResult& r, std::string_view checker) {
  return test::mark_hits(r, "checker." + std::string(checker));
}

TEST(CoverageMarks, hits_are_counted_per_run) {
  std::uint64_t all_zeros = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto r = run_sim(marking_body, seed, {}, /*keep_full_trace=*/true);
    ASSERT_FALSE(r.finding.has_value()) << r.finding->message;
    ASSERT_EQ(r.mark_hits.size(), sim::coverage_marks().size());
    all_zeros += zeros_drawn(r);
    EXPECT_EQ(hits(r, kMarkAlpha), 3 + zeros_drawn(r)) << "seed " << seed;
    EXPECT_EQ(hits(r, kMarkZulu), 1u);
    std::uint64_t total = 0;
    for (std::size_t i = 0; i < r.mark_hits.size(); ++i) total += is_checker_mark(i) ? 0 : r.mark_hits[i];
    EXPECT_EQ(total, hits(r, kMarkAlpha) + hits(r, kMarkZulu)) << "only the test marks were hit";
  }
  EXPECT_GT(all_zeros, 0u) << "the DRAW lines were not recognised";
  EXPECT_LT(all_zeros, 200u);
}

TEST(CoverageMarks, a_run_without_marks_reports_zero_for_every_mark) {
  const auto r = run_sim([](Scheduler& s) {
    s.spawn("idle", [] { sim::yield(); });
    s.run();
  });
  ASSERT_EQ(r.mark_hits.size(), sim::coverage_marks().size());
  for (std::size_t i = 0; i < r.mark_hits.size(); ++i) {
    if (!is_checker_mark(i)) {
      EXPECT_EQ(r.mark_hits[i], 0u) << sim::coverage_marks()[i]->name();
    }
  }
  // The runtime's checkers looked, though: a phase ended, so deadlock and
  // livelock were evaluated.
  EXPECT_GT(checker_evals(r, "deadlock"), 0u);
  EXPECT_GT(checker_evals(r, "livelock"), 0u);
}

TEST(CoverageMarks, the_host_may_hit_a_mark_between_phases) {
  const auto r = run_sim([](Scheduler& s) {
    s.spawn("f", [] { sim::mark(kMarkZulu); });
    s.run();
    sim::mark(kMarkZulu);
  });
  EXPECT_EQ(hits(r, kMarkZulu), 2u);
}

TEST(CoverageMarks, each_hit_is_a_mark_trace_line_with_the_mark_index) {
  std::vector<sim::TraceRecord> records;
  sim::FiberId fixed = sim::kNoFiber;
  run_sim(
      [&](Scheduler& s) {
        fixed = s.spawn("fixed", [] {
          sim::mark(kMarkAlpha);
          sim::mark(kMarkZulu);
          sim::mark(kMarkAlpha);
        });
        s.run();
        records = s.trace_log().all();
      },
      1, {}, /*keep_full_trace=*/true);
  std::vector<std::uint64_t> marked;
  for (const sim::TraceRecord& rec : records) {
    if (!test::has_reason(rec, sim::Reason::mark)) continue;
    EXPECT_EQ(rec.fiber, fixed);
    EXPECT_EQ(rec.object, sim::kNoObject);
    marked.push_back(rec.a);
  }
  EXPECT_EQ(marked, (std::vector<std::uint64_t>{kMarkAlpha.index(), kMarkZulu.index(), kMarkAlpha.index()}));

  const auto r = run_sim([](Scheduler& s) {
    s.spawn("fixed", [] { sim::mark(kMarkZulu); });
    s.run();
  }, 1, {}, true);
  bool formatted = false;
  for (const std::string& line : r.trace_all)
    formatted = formatted || (line.find(" MARK ") != std::string::npos &&
                              line.find(fmt::format(" {} 0", kMarkZulu.index())) != std::string::npos);
  EXPECT_TRUE(formatted) << "no formatted MARK line";
}

TEST(CoverageMarks, replay_gives_the_same_counts) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto recorded = run_sim(marking_body, seed);
    const auto again = run_sim(marking_body, seed);
    const auto replayed = test::replay_sim(marking_body, recorded.tape, seed + 1000);
    EXPECT_EQ(again.mark_hits, recorded.mark_hits) << "seed " << seed;
    EXPECT_EQ(replayed.mark_hits, recorded.mark_hits) << "seed " << seed;
    EXPECT_EQ(replayed.trace_hash, recorded.trace_hash) << "seed " << seed;
    EXPECT_FALSE(replayed.divergence.has_value());
  }
}

// --- sweeps ----------------------------------------------------------------------

sim::SweepTarget target(std::string name, sim::Body body) {
  sim::SweepTarget t;
  t.name = std::move(name);
  t.run = [body = std::move(body)](std::uint64_t seed, bool keep_full_trace) {
    return sim::run_simulation(test::make_config(seed, {}, keep_full_trace), true, body, "");
  };
  return t;
}

void zulu_only_body(Scheduler& s) {
  s.spawn("z", [] {
    if (sim::draw(3) != 0) sim::mark(kMarkZulu);
  });
  s.run();
}

TEST(CoverageMarks, a_sweep_sums_hits_per_target_and_overall) {
  sim::SweepOptions o;
  o.seeds = 40;
  o.jobs = 4;
  o.recheck_every = 5;
  const std::vector<sim::SweepTarget> targets = {target("marking", marking_body), target("zulu", zulu_only_body)};
  const auto report = sim::run_sweep(targets, o, {});
  ASSERT_EQ(report.targets.size(), 2u);
  ASSERT_FALSE(report.mismatch.has_value());

  const std::size_t n = sim::coverage_marks().size();
  std::vector<std::uint64_t> overall(n, 0);
  for (std::size_t t = 0; t < targets.size(); ++t) {
    std::vector<std::uint64_t> expected(n, 0);
    const sim::ShardSeeds seeds = sim::shard_seeds(o);
    for (std::uint64_t i = 0; i < seeds.count; ++i) {
      const auto r = targets[t].run(seeds[i], false);
      for (std::size_t m = 0; m < n; ++m) expected[m] += r.mark_hits[m];
    }
    EXPECT_EQ(report.targets[t].seeds_run, 40u);
    EXPECT_EQ(report.targets[t].mark_hits, expected) << report.targets[t].name;
    for (std::size_t m = 0; m < n; ++m) overall[m] += expected[m];
  }
  EXPECT_EQ(report.mark_hits, overall);
  EXPECT_GE(report.targets[0].mark_hits[kMarkAlpha.index()], 3u * 40u);
  EXPECT_EQ(report.targets[0].mark_hits[kMarkZulu.index()], 40u);
  EXPECT_EQ(report.targets[1].mark_hits[kMarkAlpha.index()], 0u);
  EXPECT_GT(report.targets[1].mark_hits[kMarkZulu.index()], 0u);
  EXPECT_LT(report.targets[1].mark_hits[kMarkZulu.index()], 40u);
}

TEST(CoverageMarks, sweep_totals_do_not_depend_on_the_number_of_threads) {
  sim::SweepOptions o;
  o.seeds = 60;
  const std::vector<sim::SweepTarget> targets = {target("marking", marking_body), target("zulu", zulu_only_body)};
  o.jobs = 1;
  const auto one = sim::run_sweep(targets, o, {});
  o.jobs = 6;
  const auto six = sim::run_sweep(targets, o, {});
  EXPECT_EQ(one.mark_hits, six.mark_hits);
  for (std::size_t t = 0; t < targets.size(); ++t) EXPECT_EQ(one.targets[t].mark_hits, six.targets[t].mark_hits);
}

// --- the runtime's own mark --------------------------------------------------------

const sim::CoverageMark& requeued_mark() {
  for (const sim::CoverageMark* m : sim::coverage_marks()) {
    if (std::strcmp(m->name(), "sim.work_requeued_while_running") == 0) return *m;
  }
  ADD_FAILURE() << "sim.work_requeued_while_running not registered";
  return kMarkZulu;
}

TEST(CoverageMarks, queueing_a_running_work_item_hits_the_workqueue_mark) {
  const auto r = run_sim([](Scheduler& s) {
    sim::Workqueue wq{"wq", 1};
    int runs = 0;
    sim::Work work{"w", [&] {
                     ++runs;
                     sim::sleep(sim::kMs);
                   }};
    s.spawn("submitter", [&] {
      EXPECT_TRUE(wq.queue_work(work));
      while (!work.running()) sim::yield();
      EXPECT_TRUE(wq.queue_work(work));   // running, not pending: queued again (hit)
      EXPECT_FALSE(wq.queue_work(work));  // running and pending: refused (no hit)
      wq.flush_work(work);
    });
    s.run();
    EXPECT_EQ(runs, 2);
  });
  ASSERT_FALSE(r.finding.has_value()) << r.finding->message;
  EXPECT_EQ(hits(r, requeued_mark()), 1u);
}

TEST(CoverageMarks, queueing_an_idle_work_item_does_not_hit_the_workqueue_mark) {
  const auto r = run_sim([](Scheduler& s) {
    sim::Workqueue wq{"wq", 2};
    sim::Work work{"w", [] {}};
    s.spawn("submitter", [&] {
      for (int i = 0; i < 3; ++i) {
        wq.queue_work(work);
        wq.flush_work(work);
      }
    });
    s.run();
  });
  ASSERT_FALSE(r.finding.has_value()) << r.finding->message;
  EXPECT_EQ(hits(r, requeued_mark()), 0u);
}

}  // namespace
}  // namespace wbsim
