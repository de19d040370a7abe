//! Strategies: the one oracle for every nondeterministic choice of a run.
//!
//! The scheduler asks a strategy two kinds of question: which runnable fiber
//! runs next, and a uniform draw below a bound (random values, fault
//! decisions, the swarm draw). The scheduler records every answer on the
//! tape, so any strategy's run can be replayed by the `replay` strategy.
//!
//!   random   uniform choice at every scheduling point (seeded)
//!   pct:D    probabilistic concurrency testing (Burckhardt et al., ASPLOS'10):
//!            random distinct fiber priorities, D-1 priority change points
//!            spread over the expected number of scheduling choices
//!   replay   answers from a recorded tape; past its end it falls back to
//!            seeded random; on a choice that no longer fits it does too
//!            and remembers where it diverged
//!   shrink   the shrinker's replay (not a command-line strategy): past the
//!            tape's end, and for a choice that does not fit, it answers the
//!            default — the running fiber if it can go on (no context
//!            switch), else the first runnable one; 0 for a draw — and keeps
//!            following the tape, so an edit stays local to where it was made;
//!            optionally seeded random past the end instead
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "sim/rng.h"
#include "sim/tape.h"
#include "sim/types.h"

namespace wbsim::sim {

struct StrategySpec {
  enum class Kind : std::uint8_t { random, pct, replay, shrink };
  Kind kind = Kind::random;
  std::uint32_t pct_depth = 3;
  // shrink only: past the tape's end the seeded strategy answers (as the
  // plain replay goes on) instead of the defaults.
  bool shrink_random_tail = false;
  // shrink only: a decision (Strategy::decide) whose answer the tape does
  // not give takes its seeded answer instead of 0 — explore's default run is
  // the scenario's whole workload, the shrinker's the least of it.
  bool shrink_decisions_seeded = false;

  std::string to_string() const;
  // Parses "random" or "pct:D" (1 <= D <= 64); nullopt with *error otherwise.
  static std::optional<StrategySpec> parse(std::string_view text, std::string* error);
};

// What the shrink strategy knew about one answer: the default it would have
// given (see above) and whether the answer picked a fiber or was a draw.
struct ChoiceInfo {
  std::uint32_t default_choice = 0;
  std::uint32_t bound = 0;
  bool fiber_choice = false;
  FiberId current = kNoFiber;  // the fiber that was running (fiber choices)
  FiberId chosen = kNoFiber;   // the fiber the answer picked (fiber choices)
  std::vector<FiberId> runnable;  // the fibers that could run, in answer order (fiber choices)
};

// What one step did, for explore's partial-order reduction: a step is what
// the fiber picked at a choice runs until the next scheduling point. Filled
// by the scheduler when SchedulerConfig::record_footprints is set.
struct StepFootprint {
  std::vector<ObjectId> objects;  // the sim objects it acted on (WaitObject ids)
  // Objects it acted on only by operations that commute with each other's
  // kind: an rwsem's read side that neither blocked nor woke anyone, the
  // clock of a sleep. Two steps conflict on an object unless both are here.
  std::vector<ObjectId> shared;
  bool unknown = false;           // it may have read or written anything: dependent on every step
  bool ended_runnable = true;     // its fiber could go on when the step ended (yielded, not blocked)

  bool acted_on(ObjectId id) const { return std::find(objects.begin(), objects.end(), id) != objects.end(); }
  bool shares(ObjectId id) const { return std::find(shared.begin(), shared.end(), id) != shared.end(); }
};

// A tape value no choice fits: the shrink strategy answers it with the
// default.
inline constexpr std::uint32_t kDefaultChoice = 0xffffffffu;

struct Divergence {
  std::size_t position;    // index of the tape choice that did not fit
  std::uint32_t recorded;  // what the tape said
  std::uint32_t bound;     // how many options there were
  bool fiber_choice = false;       // a choice of the next fiber (else a draw)
  std::uint64_t step = 0;          // the scheduler's step when it happened
  std::vector<FiberId> runnable;   // the fibers that were runnable (fiber choices)
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  // Non-null for the plain random strategy: the scheduler draws from it
  // directly, without a virtual call, on its hottest path.
  Rng* fast_random() { return fast_random_; }
  // Index into `runnable` (size >= 2) of the fiber to run next.
  virtual std::uint32_t choose_fiber(std::span<const FiberId> runnable, FiberId current) = 0;
  // Uniform draw in [0, bound), bound >= 2.
  virtual std::uint32_t draw(std::uint32_t bound) = 0;
  // A decision in [0, bound) whose seeded answer the caller knows: a
  // workload loop's "one more iteration?" (a scenario's `s.more()`). It is
  // on the tape like a draw, so a replay follows it and the shrinker can
  // edit it (drop one iteration, or stop the loop early), but a strategy
  // that does not follow a tape answers `seeded` without drawing: adding a
  // decision to a scenario changes no value its seeded runs draw.
  virtual std::uint32_t decide(std::uint32_t /*bound*/, std::uint32_t seeded) { return seeded; }
  virtual void on_spawn(FiberId) {}
  virtual std::optional<Divergence> divergence() const { return std::nullopt; }
  // Replay: how many tape choices were consumed.
  virtual std::size_t replay_consumed() const { return 0; }
  // Shrink: one entry per answer, in tape order (else empty).
  virtual const std::vector<ChoiceInfo>& choice_info() const {
    static const std::vector<ChoiceInfo> kNone;
    return kNone;
  }

 protected:
  Rng* fast_random_ = nullptr;
};

class RandomStrategy final : public Strategy {
 public:
  explicit RandomStrategy(std::uint64_t seed) : rng_(seed) { fast_random_ = &rng_; }
  std::uint32_t choose_fiber(std::span<const FiberId> runnable, FiberId) override {
    return rng_.below(static_cast<std::uint32_t>(runnable.size()));
  }
  std::uint32_t draw(std::uint32_t bound) override { return rng_.below(bound); }

 private:
  Rng rng_;
};

class PctStrategy final : public Strategy {
 public:
  // `steps_hint` estimates how many scheduling choices a run makes; change
  // points are drawn uniformly below it.
  PctStrategy(std::uint64_t seed, std::uint32_t depth, std::uint32_t steps_hint);
  std::uint32_t choose_fiber(std::span<const FiberId> runnable, FiberId current) override;
  std::uint32_t draw(std::uint32_t bound) override { return rng_.below(bound); }
  void on_spawn(FiberId id) override;

 private:
  Rng rng_;
  std::uint32_t depth_;
  std::uint64_t choices_ = 0;
  std::vector<std::uint64_t> change_points_;  // ascending
  std::size_t next_change_ = 0;
  std::vector<std::uint64_t> priority_;       // by fiber id; higher runs first
};

class ReplayStrategy final : public Strategy {
 public:
  ReplayStrategy(const Tape& tape, std::uint64_t fallback_seed) : reader_(tape), rng_(fallback_seed) {}
  std::uint32_t choose_fiber(std::span<const FiberId> runnable, FiberId) override {
    return next(static_cast<std::uint32_t>(runnable.size()), runnable);
  }
  std::uint32_t draw(std::uint32_t bound) override { return next(bound, {}); }
  std::uint32_t decide(std::uint32_t bound, std::uint32_t seeded) override;
  std::optional<Divergence> divergence() const override { return divergence_; }
  std::size_t replay_consumed() const override { return consumed_; }
  // Where a divergence's step is read from (the scheduler's step counter).
  void set_step_source(const std::uint64_t* step) { step_ = step; }

 private:
  std::uint32_t next(std::uint32_t bound, std::span<const FiberId> runnable);
  const std::uint64_t* step_ = nullptr;
  std::size_t consumed_ = 0;
  bool past_end_ = false;

  Tape::Reader reader_;
  Rng rng_;
  std::optional<Divergence> divergence_;
};

class ShrinkStrategy final : public Strategy {
 public:
  // With `random_tail`, choices past the tape's end are seeded random.
  // With `decisions_seeded`, a decision the tape does not answer takes its
  // seeded answer, else 0.
  ShrinkStrategy(const Tape& tape, std::uint64_t seed, bool random_tail, bool decisions_seeded = false)
      : reader_(tape), rng_(seed), random_tail_(random_tail), decisions_seeded_(decisions_seeded) {}
  std::uint32_t choose_fiber(std::span<const FiberId> runnable, FiberId current) override;
  std::uint32_t draw(std::uint32_t bound) override;
  std::uint32_t decide(std::uint32_t bound, std::uint32_t seeded) override;
  std::size_t replay_consumed() const override { return reader_.position(); }
  const std::vector<ChoiceInfo>& choice_info() const override { return info_; }

 private:
  std::uint32_t answer(std::uint32_t bound, std::uint32_t fallback);
  Tape::Reader reader_;
  Rng rng_;
  bool random_tail_;
  bool decisions_seeded_;
  std::vector<ChoiceInfo> info_;
};

std::unique_ptr<Strategy> make_strategy(const StrategySpec& spec, std::uint64_t seed,
                                        std::uint32_t pct_steps_hint, const Tape* replay_tape);

}  // namespace wbsim::sim
