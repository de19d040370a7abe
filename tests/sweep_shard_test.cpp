// The sweep driver's shards: which seeds a shard runs (computed, never
// listed), and the verdicts a shard defers to the merge of every shard.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "sim/sweep.h"
#include "tests/sweep_test_util.h"

namespace wbsim {
namespace {

using sim::Expect;
using sim::Scheduler;
using sim::SweepOptions;
using sim::SweepTarget;
using test::lost_wakeup_body;
using test::make_target;
using test::passing_body;
SweepOptions options(std::uint64_t seeds, unsigned jobs = 1, std::uint32_t recheck_every = 0) {
  return test::sweep_options(seeds, jobs, recheck_every);
}

std::vector<std::uint64_t> listed(const sim::ShardSeeds& seeds) {
  std::vector<std::uint64_t> out;
  for (std::uint64_t i = 0; i < seeds.count; ++i) out.push_back(seeds[i]);
  return out;
}

RC_GTEST_PROP(Sweep, shard_seeds_partitions_the_seed_range_exactly, ()) {
  SweepOptions o;
  o.seeds = *rc::gen::inRange<std::uint64_t>(0, 300);
  o.seed_base = *rc::gen::inRange<std::uint64_t>(0, 1'000'000);
  o.shard_count = *rc::gen::inRange<std::uint32_t>(1, 9);
  std::vector<std::uint64_t> all;
  std::set<std::uint64_t> seen;
  for (std::uint32_t shard = 0; shard < o.shard_count; ++shard) {
    o.shard_index = shard;
    const auto seeds = listed(sim::shard_seeds(o));
    RC_ASSERT(std::is_sorted(seeds.begin(), seeds.end()));
    for (std::uint64_t s : seeds) {
      RC_ASSERT(s % o.shard_count == shard);
      RC_ASSERT(seen.insert(s).second);  // disjoint
      all.push_back(s);
    }
  }
  std::sort(all.begin(), all.end());
  std::vector<std::uint64_t> expected;
  for (std::uint64_t s = o.seed_base; s < o.seed_base + o.seeds; ++s) expected.push_back(s);
  RC_ASSERT(all == expected);  // the union is every seed
}

RC_GTEST_PROP(Sweep, shard_seeds_at_the_top_of_the_seed_range_match_a_listing, ()) {
  SweepOptions o;
  o.seeds = *rc::gen::inRange<std::uint64_t>(0, 200);
  o.seed_base = UINT64_MAX - o.seeds - *rc::gen::inRange<std::uint64_t>(0, 50);
  o.shard_count = *rc::gen::inRange<std::uint32_t>(1, 1'000'000);
  o.shard_index = *rc::gen::inRange<std::uint32_t>(0, o.shard_count);
  std::vector<std::uint64_t> expected;
  for (std::uint64_t s = o.seed_base; s < o.seed_base + o.seeds; ++s) {
    if (s % o.shard_count == o.shard_index) expected.push_back(s);
  }
  RC_ASSERT(listed(sim::shard_seeds(o)) == expected);
}

TEST(Sweep, shard_seeds_of_every_64_bit_seed_are_counted_not_listed) {
  SweepOptions o;
  o.seed_base = 0;
  o.seeds = UINT64_MAX;
  const sim::ShardSeeds all = sim::shard_seeds(o);
  EXPECT_EQ(all.count, UINT64_MAX);
  EXPECT_EQ(all[all.count - 1], UINT64_MAX - 1);
  o.shard_count = 7;
  o.shard_index = 3;
  const sim::ShardSeeds some = sim::shard_seeds(o);
  EXPECT_EQ(some.first, 3u);
  EXPECT_EQ(some[some.count - 1] % 7, 3u);
  EXPECT_GT(some[some.count - 1], UINT64_MAX - 8);
}

// A sweep of 2^50 seeds per target stops at its time limit: its seeds are
// drawn as it goes, never listed.
TEST(Sweep, a_sweep_of_2_to_the_50_seeds_starts_at_once_and_stops_at_its_time_limit) {
  SweepOptions o = options(std::uint64_t{1} << 50, 2);
  o.time_limit_seconds = 0.2;
  const auto report = sim::run_sweep({make_target("ok", Expect::pass, "", passing_body)}, o, {});
  EXPECT_TRUE(report.time_limited);
  EXPECT_GT(report.targets[0].seeds_run, 0u);
  EXPECT_TRUE(report.targets[0].passed);
}

// Expected on some seed, a checker may fire in another shard only: a shard
// defers that verdict, and the union of the shards' counts, judged as a
// whole sweep, gives the unsharded verdict.
TEST(Sweep, a_shard_defers_what_only_the_union_of_shards_can_judge) {
  const SweepTarget target = make_target("lost_wakeup", Expect::fail_sometimes, "deadlock", lost_wakeup_body);
  const auto whole = sim::run_sweep({target}, options(16), {});
  ASSERT_TRUE(whole.targets[0].passed) << whole.targets[0].verdict;
  sim::TargetSummary u;
  u.expect = Expect::fail_sometimes;
  u.expect_checker = "deadlock";
  std::uint32_t deferred = 0;
  for (std::uint32_t shard = 0; shard < 8; ++shard) {
    SweepOptions o = options(16);
    o.shard_count = 8;
    o.shard_index = shard;
    const auto part = sim::run_sweep({target}, o, {});
    const sim::TargetSummary& t = part.targets[0];
    EXPECT_TRUE(t.passed) << shard << ": " << t.verdict;
    if (t.expected_hits == 0) {
      EXPECT_TRUE(t.deferred);
      EXPECT_NE(t.verdict.find("deferred to merge"), std::string::npos) << t.verdict;
      ++deferred;
    }
    u.seeds_run += t.seeds_run;
    u.unexpected += t.unexpected;
    u.expected_hits += t.expected_hits;
  }
  EXPECT_GT(deferred, 0u);
  sim::judge_target(u, true);
  EXPECT_EQ(u.seeds_run, whole.targets[0].seeds_run);
  EXPECT_EQ(u.expected_hits, whole.targets[0].expected_hits);
  EXPECT_EQ(u.passed, whole.targets[0].passed);
  EXPECT_EQ(u.verdict, whole.targets[0].verdict);
  sim::TargetSummary never = u;
  never.expected_hits = 0;
  sim::judge_target(never, true);
  EXPECT_FALSE(never.passed);
  EXPECT_FALSE(never.deferred);
  sim::judge_target(never, false);
  EXPECT_TRUE(never.passed);
  EXPECT_TRUE(never.deferred);
}

TEST(Sweep, only_the_shards_seeds_are_run) {
  SweepOptions o = options(30);
  o.shard_count = 3;
  o.shard_index = 1;
  std::vector<std::uint64_t> ran;
  SweepTarget t = make_target("record", Expect::pass, "", passing_body);
  auto inner = t.run;
  t.run = [&ran, inner](std::uint64_t seed, bool keep) {
    ran.push_back(seed);
    return inner(seed, keep);
  };
  const auto report = sim::run_sweep({t}, o, {});
  EXPECT_EQ(report.targets[0].seeds_run, 10u);
  EXPECT_EQ(ran, listed(sim::shard_seeds(o)));
}

}  // namespace
}  // namespace wbsim
