#include "sim/strategy.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

namespace wbsim::sim {

std::string StrategySpec::to_string() const {
  switch (kind) {
    case Kind::random: return "random";
    case Kind::pct: return fmt::format("pct:{}", pct_depth);
    case Kind::replay: return "replay";
    case Kind::shrink: return "shrink";
  }
  return "?";
}

std::optional<StrategySpec> StrategySpec::parse(std::string_view text, std::string* error) {
  StrategySpec spec;
  if (text == "random") return spec;
  if (text.starts_with("pct:")) {
    const std::string_view digits = text.substr(4);
    std::uint32_t depth = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), depth);
    if (ec != std::errc{} || end != digits.data() + digits.size() || depth < 1 || depth > 64) {
      *error = fmt::format("'{}': pct depth must be a whole number from 1 to 64", text);
      return std::nullopt;
    }
    spec.kind = Kind::pct;
    spec.pct_depth = depth;
    return spec;
  }
  *error = fmt::format("'{}': expected 'random' or 'pct:D'", text);
  return std::nullopt;
}

PctStrategy::PctStrategy(std::uint64_t seed, std::uint32_t depth, std::uint32_t steps_hint)
    : rng_(seed), depth_(depth) {
  const std::uint32_t k = std::max<std::uint32_t>(steps_hint, 1);
  for (std::uint32_t i = 1; i < depth_; ++i) change_points_.push_back(1 + rng_.below(k));
  std::sort(change_points_.begin(), change_points_.end());
}

void PctStrategy::on_spawn(FiberId id) {
  if (priority_.size() <= id) priority_.resize(id + 1, 0);
  // Initial priorities sit above every change-point priority (< depth), are
  // random, and distinct because the low bits carry the fiber id.
  priority_[id] = ((std::uint64_t{rng_.below(1u << 30)} + depth_) << 20) | id;
}

std::uint32_t PctStrategy::choose_fiber(std::span<const FiberId> runnable, FiberId current) {
  ++choices_;
  while (next_change_ < change_points_.size() && change_points_[next_change_] <= choices_) {
    // The i-th change point drops the running fiber to priority depth-1-i,
    // below every initial priority and below earlier change points' victims.
    if (current < priority_.size()) priority_[current] = depth_ - 1 - next_change_;
    ++next_change_;
  }
  std::uint32_t best = 0;
  for (std::uint32_t i = 1; i < runnable.size(); ++i) {
    if (priority_[runnable[i]] > priority_[runnable[best]]) best = i;
  }
  return best;
}

std::uint32_t ReplayStrategy::next(std::uint32_t bound, std::span<const FiberId> runnable) {
  if (!divergence_ && !past_end_) {
    const std::size_t position = reader_.position();
    std::uint32_t recorded = ~0u;
    if (!reader_.next(&recorded)) {
      // The whole tape was followed (a failing run's tape ends where it
      // failed); the run goes on under the seeded strategy.
      past_end_ = true;
    } else if (recorded < bound) {
      consumed_ = reader_.position();
      return recorded;
    } else {
      divergence_ = Divergence{position, recorded, bound, !runnable.empty(), step_ != nullptr ? *step_ : 0,
                               std::vector<FiberId>(runnable.begin(), runnable.end())};
    }
  }
  return rng_.below(bound);
}

std::uint32_t ReplayStrategy::decide(std::uint32_t bound, std::uint32_t seeded) {
  if (divergence_ || past_end_) return seeded;
  const std::uint32_t v = next(bound, {});
  // Off the tape the run goes on as the seeded strategy would.
  return divergence_ || past_end_ ? seeded : v;
}

std::uint32_t ShrinkStrategy::choose_fiber(std::span<const FiberId> runnable, FiberId current) {
  // Going on with the running fiber is no context switch (when it yielded
  // rather than blocked, it is among the runnable ones).
  const auto it = std::find(runnable.begin(), runnable.end(), current);
  const auto fallback = it == runnable.end() ? 0u : static_cast<std::uint32_t>(it - runnable.begin());
  const std::uint32_t i = answer(static_cast<std::uint32_t>(runnable.size()), fallback);
  info_.push_back({fallback, static_cast<std::uint32_t>(runnable.size()), true, current, runnable[i],
                   std::vector<FiberId>(runnable.begin(), runnable.end())});
  return i;
}

std::uint32_t ShrinkStrategy::draw(std::uint32_t bound) {
  info_.push_back({0, bound, false});
  return answer(bound, 0);
}

std::uint32_t ShrinkStrategy::decide(std::uint32_t bound, std::uint32_t seeded) {
  const std::uint32_t fallback = decisions_seeded_ ? seeded : 0;
  info_.push_back({fallback, bound, false});
  std::uint32_t recorded = kDefaultChoice;
  if (!reader_.next(&recorded)) return random_tail_ ? seeded : fallback;
  return recorded < bound ? recorded : fallback;
}

std::uint32_t ShrinkStrategy::answer(std::uint32_t bound, std::uint32_t fallback) {
  std::uint32_t recorded = kDefaultChoice;
  if (!reader_.next(&recorded)) return random_tail_ ? rng_.below(bound) : fallback;
  return recorded < bound ? recorded : fallback;
}

std::unique_ptr<Strategy> make_strategy(const StrategySpec& spec, std::uint64_t seed,
                                        std::uint32_t pct_steps_hint, const Tape* replay_tape) {
  switch (spec.kind) {
    case StrategySpec::Kind::random: return std::make_unique<RandomStrategy>(seed);
    case StrategySpec::Kind::pct:
      return std::make_unique<PctStrategy>(seed, spec.pct_depth, pct_steps_hint);
    case StrategySpec::Kind::replay: return std::make_unique<ReplayStrategy>(*replay_tape, seed);
    case StrategySpec::Kind::shrink:
      return std::make_unique<ShrinkStrategy>(*replay_tape, seed, spec.shrink_random_tail,
                                              spec.shrink_decisions_seeded);
  }
  return nullptr;
}

}  // namespace wbsim::sim
