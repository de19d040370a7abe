// Strategies (random, pct, replay, shrink) and their textual spec; the tape
// codec is in tape_test.cpp.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <optional>
#include <vector>

#include "sim/run.h"
#include "sim/scheduler.h"
#include "sim/strategy.h"
#include "sim/tape.h"
#include "tests/sim_test_util.h"

namespace wbsim {
namespace {

using sim::Divergence;
using sim::PctStrategy;
using sim::RandomStrategy;
using sim::ReplayStrategy;
using sim::StrategySpec;
using sim::Tape;
using test::pct;
using test::run_sim;

// --- StrategySpec::parse -----------------------------------------------------

TEST(StrategySpecParse, random_is_accepted) {
  std::string err;
  auto spec = StrategySpec::parse("random", &err);
  ASSERT_TRUE(spec.has_value()) << err;
  EXPECT_EQ(spec->kind, StrategySpec::Kind::random);
  EXPECT_EQ(spec->to_string(), "random");
}

TEST(StrategySpecParse, pct_with_depth_is_accepted_with_that_depth) {
  std::string err;
  auto spec = StrategySpec::parse("pct:3", &err);
  ASSERT_TRUE(spec.has_value()) << err;
  EXPECT_EQ(spec->kind, StrategySpec::Kind::pct);
  EXPECT_EQ(spec->pct_depth, 3u);
  EXPECT_EQ(spec->to_string(), "pct:3");
}

TEST(StrategySpecParse, depth_bounds_one_and_sixty_four_are_accepted) {
  std::string err;
  auto lo = StrategySpec::parse("pct:1", &err);
  auto hi = StrategySpec::parse("pct:64", &err);
  ASSERT_TRUE(lo.has_value());
  ASSERT_TRUE(hi.has_value());
  EXPECT_EQ(lo->pct_depth, 1u);
  EXPECT_EQ(hi->pct_depth, 64u);
}

TEST(StrategySpecParse, malformed_or_out_of_range_specs_are_rejected_with_an_error_naming_them) {
  for (const char* bad : {"pct:0", "pct:x", "foo", "pct:65", "pct:", "pct:3x", "pct:-1", "pct: 3", "replay",
                          "Random", "", "pct:99999999999"}) {
    std::string err;
    auto spec = StrategySpec::parse(bad, &err);
    EXPECT_FALSE(spec.has_value()) << "accepted '" << bad << "'";
    EXPECT_FALSE(err.empty()) << "no error for '" << bad << "'";
    EXPECT_NE(err.find(std::string("'") + bad + "'"), std::string::npos) << err;
  }
}

RC_GTEST_PROP(StrategySpecParse, to_string_of_any_valid_pct_spec_parses_back_to_it, ()) {
  const auto depth = *rc::gen::inRange<std::uint32_t>(1, 65);
  StrategySpec spec = pct(depth);
  std::string err;
  auto back = StrategySpec::parse(spec.to_string(), &err);
  RC_ASSERT(back.has_value());
  RC_ASSERT(back->kind == StrategySpec::Kind::pct);
  RC_ASSERT(back->pct_depth == depth);
}

// --- RandomStrategy ------------------------------------------------------------

std::vector<std::uint32_t> random_choices(std::uint64_t seed) {
  RandomStrategy s(seed);
  const std::vector<sim::FiberId> runnable{0, 1, 2, 3, 4};
  std::vector<std::uint32_t> out;
  for (int i = 0; i < 200; ++i) {
    out.push_back(s.choose_fiber(runnable, 0));
    out.push_back(s.draw(1000));
  }
  return out;
}

TEST(RandomStrategy, same_seed_gives_the_same_choices) {
  for (std::uint64_t seed : {1ull, 2ull, 42ull, 0xdeadbeefull}) {
    EXPECT_EQ(random_choices(seed), random_choices(seed)) << "seed " << seed;
  }
}

TEST(RandomStrategy, different_seeds_give_different_choices) {
  std::set<std::vector<std::uint32_t>> distinct;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) distinct.insert(random_choices(seed));
  EXPECT_EQ(distinct.size(), 20u);
}

TEST(RandomStrategy, choices_stay_in_range_and_cover_every_option) {
  RandomStrategy s(7);
  const std::vector<sim::FiberId> runnable{10, 11, 12};
  std::set<std::uint32_t> seen;
  for (int i = 0; i < 300; ++i) {
    const std::uint32_t c = s.choose_fiber(runnable, 10);
    ASSERT_LT(c, 3u);
    seen.insert(c);
    ASSERT_LT(s.draw(2), 2u);
  }
  EXPECT_EQ(seen.size(), 3u);
}

TEST(RandomStrategy, simulation_with_same_seed_makes_same_choices) {
  auto body = [](sim::Scheduler& s) {
    for (int f = 0; f < 3; ++f) {
      s.spawn("f", [] {
        for (int i = 0; i < 5; ++i) sim::yield();
      });
    }
    s.run();
  };
  const auto a = run_sim(body, 99);
  const auto b = run_sim(body, 99);
  const auto c = run_sim(body, 100);
  EXPECT_FALSE(a.tape.choices().empty());
  EXPECT_EQ(a.tape, b.tape);
  EXPECT_NE(a.tape, c.tape);
}

// --- PctStrategy -----------------------------------------------------------------

// Each of four fibers logs its index and yields, several times; returns the log.
std::vector<int> yield_log(std::uint64_t seed, std::uint32_t depth, std::uint32_t steps_hint) {
  std::vector<int> log;
  auto cfg = test::make_config(seed, pct(depth));
  cfg.pct_steps_hint = steps_hint;
  const auto r = sim::run_simulation(cfg, true, [&](sim::Scheduler& s) {
    for (int f = 0; f < 4; ++f) {
      s.spawn("f" + std::to_string(f), [&log, f] {
        for (int i = 0; i < 6; ++i) {
          log.push_back(f);
          sim::yield();
        }
      });
    }
    s.run();
  }, "");
  EXPECT_FALSE(r.finding.has_value());
  return log;
}

// Number of maximal runs of equal consecutive entries.
int blocks(const std::vector<int>& log) {
  int n = 0;
  for (std::size_t i = 0; i < log.size(); ++i) n += (i == 0 || log[i] != log[i - 1]);
  return n;
}

TEST(PctStrategy, depth_one_runs_each_fiber_to_completion_in_priority_order) {
  std::set<int> first_fibers;
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    const auto log = yield_log(seed, 1, 10);
    ASSERT_EQ(log.size(), 24u);
    // Four contiguous blocks: the highest-priority fiber never yields the CPU
    // to a lower one while it is runnable.
    EXPECT_EQ(blocks(log), 4) << "seed " << seed;
    first_fibers.insert(log.front());
  }
  // The priorities are random: different seeds start different fibers.
  EXPECT_GE(first_fibers.size(), 3u);
}

TEST(PctStrategy, depth_one_choice_is_stable_while_the_favourite_is_runnable) {
  PctStrategy s(5, 1, 100);
  for (sim::FiberId id = 0; id < 4; ++id) s.on_spawn(id);
  std::vector<sim::FiberId> runnable{0, 1, 2, 3};
  std::vector<sim::FiberId> order;
  while (runnable.size() >= 2) {
    const sim::FiberId fav = runnable[s.choose_fiber(runnable, runnable[0])];
    for (int i = 0; i < 20; ++i) {
      // Reordering the run queue does not change who is favoured.
      std::rotate(runnable.begin(), runnable.begin() + 1, runnable.end());
      ASSERT_EQ(runnable[s.choose_fiber(runnable, fav)], fav);
    }
    order.push_back(fav);
    runnable.erase(std::find(runnable.begin(), runnable.end(), fav));
  }
  EXPECT_EQ(order.size(), 3u);
}

TEST(PctStrategy, depth_two_preempts_the_running_fiber_at_a_change_point_on_some_seed) {
  int preempted = 0;
  for (std::uint64_t seed = 1; seed <= 100; ++seed) {
    if (blocks(yield_log(seed, 2, 10)) > 4) ++preempted;
  }
  EXPECT_GT(preempted, 0);
}

// --- ReplayStrategy --------------------------------------------------------------

Tape make_tape(std::initializer_list<std::uint32_t> choices) {
  Tape t;
  for (auto c : choices) t.push(c);
  return t;
}

TEST(ReplayStrategy, reproduces_recorded_choices_in_order) {
  const Tape tape = make_tape({2, 0, 1, 6});
  ReplayStrategy s(tape, 1);
  const std::vector<sim::FiberId> three{4, 5, 6};
  const std::vector<sim::FiberId> two{4, 5};
  EXPECT_EQ(s.choose_fiber(three, 4), 2u);
  EXPECT_EQ(s.draw(2), 0u);
  EXPECT_EQ(s.choose_fiber(two, 4), 1u);
  EXPECT_EQ(s.draw(7), 6u);
  EXPECT_FALSE(s.divergence().has_value());
}

// A failing run's tape ends where it failed: a replay that goes on (the bug
// fixed) follows the whole tape, then the seeded strategy. Not a divergence.
TEST(ReplayStrategy, running_past_the_end_of_the_tape_follows_the_seeded_strategy_without_diverging) {
  const Tape tape = make_tape({1});
  ReplayStrategy s(tape, 1);
  const std::vector<sim::FiberId> three{0, 1, 2};
  EXPECT_EQ(s.choose_fiber(three, 0), 1u);
  EXPECT_LT(s.choose_fiber(three, 0), 3u);
  EXPECT_LT(s.draw(5), 5u);
  EXPECT_FALSE(s.divergence().has_value());
  EXPECT_EQ(s.replay_consumed(), 1u);
}

TEST(ReplayStrategy, a_choice_beyond_its_bound_is_a_divergence_and_the_first_one_is_kept) {
  const Tape tape = make_tape({0, 5, 1});
  ReplayStrategy s(tape, 1);
  EXPECT_EQ(s.draw(4), 0u);
  EXPECT_LT(s.draw(3), 3u);  // 5 does not fit below 3: seeded fallback
  ASSERT_TRUE(s.divergence().has_value());
  const Divergence d = *s.divergence();
  EXPECT_EQ(d.position, 1u);
  EXPECT_EQ(d.recorded, 5u);
  EXPECT_EQ(d.bound, 3u);
  for (int i = 0; i < 10; ++i) EXPECT_LT(s.draw(2), 2u);
  EXPECT_EQ(s.divergence()->position, 1u);
  EXPECT_EQ(s.divergence()->recorded, 5u);
}

TEST(ReplayStrategy, replaying_a_truncated_tape_in_a_simulation_reports_how_much_it_followed) {
  auto body = [](sim::Scheduler& s) {
    for (int f = 0; f < 3; ++f) {
      s.spawn("f", [] {
        for (int i = 0; i < 4; ++i) sim::yield();
      });
    }
    s.run();
  };
  const auto rec = run_sim(body, 3);
  ASSERT_GE(rec.tape.size(), 4u);
  const auto recorded = rec.tape.choices();
  Tape half;
  for (std::size_t i = 0; i < recorded.size() / 2; ++i) half.push(recorded[i]);
  const auto rep = test::replay_sim(body, half, 3, false);
  EXPECT_FALSE(rep.divergence.has_value());
  EXPECT_EQ(rep.replay_consumed, half.size());
}

TEST(ReplayStrategy, a_fiber_choice_that_no_longer_fits_names_the_step_and_the_runnable_fibers) {
  auto body = [](sim::Scheduler& s) {
    for (int f = 0; f < 2; ++f) {
      s.spawn(f == 0 ? "alpha" : "beta", [] {
        for (int i = 0; i < 3; ++i) sim::yield();
      });
    }
    s.run();
  };
  // Two fibers: every fiber choice has two options, so #7 fits none. The
  // recorded tape up to some choice, then 7: the first prefix whose 7 lands
  // on a fiber choice (the run's draws come first).
  const auto recorded = run_sim(body, 3).tape.choices();
  std::optional<sim::RunResult> found;
  std::size_t at = 0;
  for (; at < recorded.size() && !found; ++at) {
    Tape t;
    for (std::size_t i = 0; i < at; ++i) t.push(recorded[i]);
    t.push(7);
    auto rep = test::replay_sim(body, t, 3, false);
    if (rep.divergence && rep.divergence->fiber_choice) found = std::move(rep);
  }
  ASSERT_TRUE(found.has_value());
  const auto& rep = *found;
  EXPECT_EQ(rep.divergence->position, at - 1);
  EXPECT_EQ(rep.divergence->recorded, 7u);
  EXPECT_EQ(rep.divergence->bound, 2u);
  EXPECT_GT(rep.divergence->step, 0u);
  EXPECT_EQ(rep.divergence_runnable, (std::vector<std::string>{"alpha", "beta"}));
}

// --- ShrinkStrategy (the shrinker's replay) ---------------------------------------

// A value that does not fit, and everything past the tape's end, takes the
// default: the running fiber when it is runnable (no switch), else the
// first; 0 for a draw. The tape goes on being followed after a misfit.
TEST(ShrinkStrategy, misfits_and_the_end_of_the_tape_take_the_default_and_the_tape_goes_on) {
  const Tape tape = make_tape({sim::kDefaultChoice, 9, 1, 3});
  sim::ShrinkStrategy s(tape, 1, false);
  const std::vector<sim::FiberId> three{4, 5, 6};
  EXPECT_EQ(s.choose_fiber(three, 5), 1u);  // kDefaultChoice: fiber 5 goes on
  EXPECT_EQ(s.draw(4), 0u);                 // 9 does not fit below 4
  EXPECT_EQ(s.choose_fiber(three, 5), 1u);  // as recorded
  EXPECT_EQ(s.draw(4), 3u);                 // as recorded: the misfits did not shift the tape
  EXPECT_EQ(s.choose_fiber(three, 9), 0u);  // past the end; fiber 9 blocked: the first runnable
  EXPECT_EQ(s.choose_fiber(three, 6), 2u);
  EXPECT_FALSE(s.divergence().has_value());
  const auto& info = s.choice_info();
  ASSERT_EQ(info.size(), 6u);
  EXPECT_TRUE(info[0].fiber_choice);
  EXPECT_EQ(info[0].default_choice, 1u);
  EXPECT_EQ(info[0].chosen, 5u);
  EXPECT_FALSE(info[1].fiber_choice);
  EXPECT_EQ(info[1].bound, 4u);
  EXPECT_EQ(info[4].current, 9u);
  EXPECT_EQ(info[4].chosen, 4u);
}

// The tape a shrink-strategy run records replays it exactly under the
// plain replay strategy (the shrinker keeps that tape), and with every
// choice at its default the run never switches away from a fiber that can
// go on.
TEST(ShrinkStrategy, the_recorded_tape_replays_the_run_hash_for_hash) {
  auto body = [](sim::Scheduler& s) {
    for (int f = 0; f < 3; ++f) {
      s.spawn("f", [&s] {
        for (int i = 0; i < 5; ++i) {
          sim::yield();
          (void)s.draw(6);
        }
      });
    }
    s.run();
  };
  StrategySpec shrink;
  shrink.kind = StrategySpec::Kind::shrink;
  for (const Tape& edited : {make_tape({}), make_tape({2, sim::kDefaultChoice, 5, 1, 1, 0})}) {
    sim::SchedulerConfig c = test::make_config(3, shrink);
    c.replay_tape = &edited;
    const sim::RunResult shrunk = sim::run_simulation(c, /*faults=*/true, body, "");
    EXPECT_EQ(shrunk.choice_info.size(), shrunk.tape.size());
    const sim::RunResult again = test::replay_sim(body, shrunk.tape, 3, false);
    EXPECT_EQ(again.trace_hash, shrunk.trace_hash);
    EXPECT_FALSE(again.divergence.has_value());
  }
  sim::SchedulerConfig c = test::make_config(3, shrink);
  const Tape none;
  c.replay_tape = &none;
  const sim::RunResult defaults = sim::run_simulation(c, /*faults=*/false, body, "");
  // Only the host's switch into the first fiber: each fiber runs to its end
  // and an exiting fiber hands over without a switch being counted.
  EXPECT_EQ(defaults.switches, 1u);
  EXPECT_GT(run_sim(body, 3).switches, 1u);
}

// --- decisions (a workload loop's "one more iteration?") --------------------

// Seeded strategies answer a decision with its seeded answer and draw
// nothing, so a scenario that adds one draws the same values as before;
// replay follows the tape and, off it, answers as the seeded strategy; the
// shrink strategy follows the tape and otherwise stops (0), or goes on when
// explore asks for the seeded answers.
TEST(Decide, seeded_strategies_draw_nothing_replay_follows_the_tape_shrink_defaults_to_stop) {
  RandomStrategy plain(7), with_decisions(7);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(with_decisions.decide(2, 1), 1u);
    EXPECT_EQ(with_decisions.draw(1000), plain.draw(1000));
  }
  const Tape tape = make_tape({1, 0, 5});
  ReplayStrategy replay(tape, 1);
  EXPECT_EQ(replay.decide(2, 1), 1u);
  EXPECT_EQ(replay.decide(2, 1), 0u);  // as recorded, though the seeded answer is 1
  EXPECT_EQ(replay.decide(2, 0), 0u);  // 5 does not fit: a divergence, then the seeded answer
  EXPECT_TRUE(replay.divergence().has_value());
  EXPECT_EQ(replay.decide(2, 1), 1u);
  sim::ShrinkStrategy shrink(tape, 1, false);
  EXPECT_EQ(shrink.decide(2, 1), 1u);
  EXPECT_EQ(shrink.decide(2, 1), 0u);
  EXPECT_EQ(shrink.decide(2, 1), 0u);  // misfit: the default, stop
  EXPECT_EQ(shrink.decide(2, 1), 0u);  // past the end: stop
  EXPECT_EQ(shrink.choice_info()[3].default_choice, 0u);
  sim::ShrinkStrategy explore(tape, 1, false, /*decisions_seeded=*/true);
  (void)explore.decide(2, 1);
  (void)explore.decide(2, 1);
  (void)explore.decide(2, 1);
  EXPECT_EQ(explore.decide(2, 1), 1u);  // past the end: the seeded answer
  EXPECT_EQ(explore.choice_info()[3].default_choice, 1u);
}

// In a run, a decision is on the tape (so replay reproduces the run hash
// for hash) and the run's seeded values are those of a run without it.
TEST(Decide, a_decision_is_on_the_tape_and_replays_hash_for_hash) {
  std::vector<std::uint32_t> with, without;
  auto body = [](std::vector<std::uint32_t>* values, bool decide) {
    return [values, decide](sim::Scheduler& s) {
      s.spawn("loop", [&s, values, decide] {
        for (int i = 0; i < 4 && (!decide || s.decide(2, 1) == 1); ++i) values->push_back(s.draw(100));
      });
      s.run();
    };
  };
  const sim::RunResult r = run_sim(body(&with, true), 5);
  const sim::RunResult plain = run_sim(body(&without, false), 5);
  EXPECT_EQ(with, without);
  EXPECT_EQ(r.tape.size(), plain.tape.size() + 4);  // four decisions
  std::vector<std::uint32_t> again;
  const sim::RunResult replayed = test::replay_sim(body(&again, true), r.tape, 5, false);
  EXPECT_EQ(replayed.trace_hash, r.trace_hash);
  EXPECT_EQ(again, with);
}

}  // namespace
}  // namespace wbsim
