//! The shrinker's state and its core: running a candidate, the acceptance
//! rule, the record of the best run. Its passes are in cli/shrink_passes.cpp
//! (docs/shrinking.md). Private to the shrinker.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <numeric>
#include <tuple>
#include <vector>

#include "cli/shrink.h"
#include "scenarios/registry.h"
#include "sim/assert.h"
#include "sim/failure_file.h"
#include "sim/fault.h"

namespace wbsim::cli::shrink_detail {


using Choices = std::vector<std::uint32_t>;

inline sim::Tape to_tape(const Choices& c) {
  sim::Tape t;
  for (std::uint32_t v : c) t.push(v);
  return t;
}

// What "smaller" compares, most significant first.
using Size = std::tuple<std::uint64_t, std::size_t, std::size_t, std::uint64_t, std::int64_t>;

inline Size size_of(const sim::RunResult& r, const Choices& c, std::int64_t param_sum) {
  SIM_ASSERT_CMP(r.choice_info.size(), ==, c.size());
  std::size_t off_default = 0;
  for (std::size_t i = 0; i < c.size(); ++i) off_default += c[i] != r.choice_info[i].default_choice ? 1 : 0;
  return {r.steps, c.size(), off_default, std::accumulate(c.begin(), c.end(), std::uint64_t{0}), param_sum};
}

class Shrinker {
 public:
  Shrinker(const scenarios::Scenario& scenario, const sim::FailureRecord& rec, scenarios::Composition composition,
           unsigned max_runs)
      : scenario_(&scenario),
        rec_(rec),
        max_runs_(max_runs),
        modes_(scenarios::fault_site_modes(composition.fault_sites)),
        composition_(std::move(composition)),
        tail_seed_(rec.seed) {}

  // False when the record's failure does not reproduce.
  bool start() {
    base_ = run(rec_.tape.choices(), composition_, *scenario_);
    if (!base_.finding || base_.finding->checker != rec_.checker) return false;
    keep(sim::RunResult(base_));
    return true;
  }

  // Shrinks the record's run; then, as a multi-start search, the shortest
  // runs of the same failure among fresh random continuations of what is
  // left (the same fault sites and parameters, another schedule), each
  // shrunk in turn with an equal share of the budget. The smallest result
  // of all is kept. One start's passes can end in a local minimum another
  // schedule of the same workload does not have.
  void shrink();

  const sim::RunResult& base() const { return base_; }
  const sim::RunResult& best() const { return best_; }
  unsigned runs() const { return runs_; }
  const scenarios::Composition& composition() const { return composition_; }
  const scenarios::Scenario& scenario() const { return *scenario_; }

 private:
  sim::RunResult run(const Choices& choices, const scenarios::Composition& composition,
                     const scenarios::Scenario& scenario) {
    ++runs_;
    const sim::Tape tape = to_tape(choices);
    scenarios::RunRequest req;
    req.seed = tail_seed_;  // only the strategy reads it: the random tail's seed
    req.strategy.kind = sim::StrategySpec::Kind::shrink;
    req.strategy.shrink_random_tail = random_tail_;
    req.bugs = rec_.bugs;
    req.replay_tape = &tape;
    req.faults = rec_.faults;
    req.composition = composition;
    // A run that reaches the cap has more steps than the best so far, so it
    // is not kept whatever fired; every run that could be kept ends below
    // the cap exactly as under the scenario's own budget.
    if (cap_ != 0) {
      req.step_cap = cap_;
    } else if (best_.steps != 0) {
      req.step_cap = best_.steps + 1;
    }
    return scenarios::run_scenario(scenario, req);
  }
  bool budget() const { return runs_ < max_runs_ && runs_ < phase_limit_; }

  std::int64_t param_sum(const scenarios::Composition& c) const {
    std::int64_t sum = 0;
    for (const scenarios::Param& p : scenario_->options.params) sum += c.param(p.name).value_or(p.value);
    return sum;
  }

  void keep(sim::RunResult r) {
    choices_ = r.tape.choices();
    size_ = size_of(r, choices_, param_sum(composition_));
    best_ = std::move(r);
  }

  bool same_failure(const sim::RunResult& r) const {
    return r.finding && r.finding->checker == base_.finding->checker && r.finding->where == base_.finding->where;
  }
  // Runs `candidate`; keeps its run if it fails the same way and is smaller.
  bool attempt(const Choices& candidate) { return attempt(candidate, composition_); }
  bool attempt(const Choices& candidate, const scenarios::Composition& composition) {
    if (!budget() || (candidate == choices_ && composition.params == composition_.params)) return false;
    sim::RunResult r = run(candidate, composition, *scenario_);
    if (!same_failure(r)) return false;
    const Choices c = r.tape.choices();
    if (size_of(r, c, param_sum(composition)) >= size_) return false;
    composition_ = composition;
    keep(std::move(r));
    return true;
  }

  // The workload's knobs, one at a time in declaration order: the smallest
  // value that still fails, by bisection from the minimum (as if failing
  // were monotonic in the size). The tape is kept; where the smaller
  // workload asks different questions, the shrink strategy's defaults and
  // the later passes take over.
  void lower_params();

  scenarios::Composition with_param(const char* name, std::int64_t value) const;

  // The largest chunk a chunked pass starts with: 1/divisor of the edited part.
  std::size_t first_chunk(std::size_t divisor) const {
    return std::max<std::size_t>((choices_.size() - prefix_end()) / divisor, 1);
  }

  // The swarm draw (sim::FaultPlan::draw), per site in name order: with
  // faults on, a draw below 2 (0: on); then, for a site on — drawn, or
  // forced by --fault-sites — its rate. Returns where site `i`'s draws end
  // when they start at `pos`. Only fault_sites_off edits them.
  std::size_t skip_site(std::size_t pos, std::size_t i) const;
  std::size_t prefix_end() const;

  // A site goes off by answering 1 and dropping its rate (not a site that
  // --fault-sites switched on or off: the draw does not decide it).
  void fault_sites_off();

  // The passes, in rounds, until a round finds nothing smaller or `limit`
  // runs (of the whole budget) are spent.
  void local_shrink(unsigned limit);

  // What a start of the search is.
  struct State {
    Choices choices;
    sim::RunResult best;
    Size size{};
    scenarios::Composition composition;
    const scenarios::Scenario* scenario = nullptr;  // the record's, or the one it copies
  };
  State save() const { return {choices_, best_, size_, composition_, scenario_}; }
  void restore(State st) {
    choices_ = std::move(st.choices);
    best_ = std::move(st.best);
    size_ = st.size;
    composition_ = std::move(st.composition);
    scenario_ = st.scenario;
  }

  // Fresh random runs after the swarm draw (the shrunk fault sites and
  // parameters), each continuing with its own seed from a fixed sequence, so
  // the search is deterministic, then as many from a fresh swarm draw (as a
  // sweep's other seeds); the kStarts smallest that fail the same way, as
  // new starts. Capped at the record's length. An mm/pressure/*
  // copy's probes run on the scenario it copies too (kProbes more): the
  // same body without kswapd, kcompactd, the page budget and small
  // mempools, so a start there shows the pressure is not needed.
  std::vector<State> probe_starts();

  // The shortest tape (cut after the swarm draw) whose defaulted rest still
  // fails; a binary search, as if failing were monotonic in the length.
  void cut_short();

  void delete_chunks(std::size_t chunk);

  // Choices off their default go to it; a chunk already at its defaults
  // costs no run.
  void default_chunks(std::size_t chunk);

  // One fiber at a time (by id): its choices to their defaults — it is not
  // switched away from while it can go on, then it is not switched to.
  void fiber_defaults();

  // Each draw above 0, from the last to the first: the smallest value that
  // still fails, by bisection (0 was tried by default_chunks).
  void lower_draws();

  // When nothing else helps: every other fiber at each scheduling choice
  // (a switch can bring the race on sooner), and a few other values of each
  // draw (a larger size can reach the failing case in fewer operations).
  void other_choices();

  const scenarios::Scenario* scenario_;    // best_'s: the record's, or the one it copies
  const sim::FailureRecord& rec_;
  unsigned max_runs_;
  std::vector<std::int8_t> modes_;         // the record's --fault-sites, by site index
  scenarios::Composition composition_;     // best_'s
  unsigned runs_ = 0;
  bool random_tail_ = false;  // run(): seeded random past the tape's end
  std::uint64_t tail_seed_;   // run(): the seed of that random tail
  std::uint64_t cap_ = 0;     // run(): a step cap other than the best run's
  unsigned phase_limit_ = UINT_MAX;  // budget(): the current start's share
  static constexpr unsigned kProbes = 200;  // random runs probed for new starts
  static constexpr unsigned kStarts = 4;    // of which the smallest are shrunk
  sim::RunResult base_;
  sim::RunResult best_;
  Choices choices_;  // best_'s tape, decoded
  Size size_{};
};

}  // namespace wbsim::cli::shrink_detail
