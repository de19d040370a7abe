// The shrinker's passes. Everything a run does comes from its tape — the
// swarm draw of fault sites, every scheduling choice, every value a scenario
// draws (sizes, counts, offsets) — so the shrinker edits the tape and runs
// it under the shrink strategy (sim/strategy.h): past the tape's end, and
// where a value does not fit (kDefaultChoice never does), a choice takes its
// default — the running fiber goes on (no context switch), a draw is 0 — and
// the rest of the tape is still followed. Rounds of passes, until a round
// finds nothing smaller or the budget of runs is spent:
//
//   0. the scenario's declared parameters (its workload's sizes and counts)
//      lowered toward their minimum, one at a time, by bisection;
//   1. fault sites off, one at a time (the swarm draw is the tape's prefix);
//   2. delta debugging (drop chunks of choices, halving the chunk size)
//      with the seeded strategy past the tape's end;
//   3. cut the tape short (binary search on its length): what follows runs
//      on defaults;
//   4. one fiber at a time, its scheduling choices to their defaults: not
//      preempted while it can go on, then not switched to;
//   5. delta debugging again, with defaults past the tape's end;
//   6. defaults, chunk by chunk, halving: fewer context switches and
//      smaller draws (dejafu's preemption bounding, as a shrink);
//   7. each draw still above 0 bisected toward 0 (smaller workloads);
//   8. only when 1-7 found nothing: every other fiber at each scheduling
//      choice, a few other values of each draw.
//
// The search is multi-start: the record's run is shrunk with half the
// budget, then the smallest of a fixed number of fresh random runs (after
// the shrunk swarm draw, or from a fresh one, with the shrunk parameters)
// that fail the same way are shrunk with the rest, and the smallest result is kept. An
// mm/pressure/* copy's continuations run on the scenario it copies as
// well: a start there that wins shows the failure needs no memory
// pressure, and the result names that scenario.
//
// A candidate is kept when it fails with the same checker at the same
// `where` and is smaller: fewer steps, else a shorter tape, else fewer
// choices off their default, else a lower sum of choices, else a lower sum
// of parameters. The order is
// strict, so rounds end. The tape kept is the one the candidate's run
// recorded (every choice as it was made), so the result replays hash for
// hash under the plain replay strategy.
#include <algorithm>
#include <climits>
#include <vector>

#include "cli/shrinker.h"

namespace wbsim::cli {

namespace shrink_detail {

// Shrinks the record's run; then, as a multi-start search, the shortest
// runs of the same failure among fresh random continuations of what is
// left (the same fault sites and parameters, another schedule), each
// shrunk in turn with an equal share of the budget. The smallest result
// of all is kept. One start's passes can end in a local minimum another
// schedule of the same workload does not have.
void Shrinker::shrink() {
  local_shrink(max_runs_ / 2);
  State winner = save();
  std::vector<State> starts = probe_starts();
  const unsigned left = max_runs_ - std::min(runs_, max_runs_);
  const unsigned share = starts.empty() ? 0 : left / static_cast<unsigned>(starts.size());
  for (State& start : starts) {
    restore(std::move(start));
    local_shrink(runs_ + share);
    if (size_ < winner.size) winner = save();
  }
  restore(std::move(winner));
}

// The workload's knobs, one at a time in declaration order: the smallest
// value that still fails, by bisection from the minimum (as if failing
// were monotonic in the size). The tape is kept; where the smaller
// workload asks different questions, the shrink strategy's defaults and
// the later passes take over.
void Shrinker::lower_params() {
  for (const scenarios::Param& p : scenario_->options.params) {
    std::int64_t lo = p.min;  // below: not tried, or not failing
    while (budget()) {
      const std::int64_t now = composition_.param(p.name).value_or(p.value);
      if (lo >= now) break;
      const std::int64_t mid = lo == p.min ? p.min : lo + (now - lo) / 2;
      if (!attempt(choices_, with_param(p.name, mid))) lo = mid + 1;
    }
  }
}

scenarios::Composition Shrinker::with_param(const char* name, std::int64_t value) const {
  scenarios::Composition c = composition_;
  for (auto& [n, v] : c.params) {
    if (n == name) {
      v = value;
      return c;
    }
  }
  c.params.emplace_back(name, value);
  return c;
}

// The swarm draw (sim::FaultPlan::draw), per site in name order: with
// faults on, a draw below 2 (0: on); then, for a site on — drawn, or
// forced by --fault-sites — its rate. Returns where site `i`'s draws end
// when they start at `pos`. Only fault_sites_off edits them.
std::size_t Shrinker::skip_site(std::size_t pos, std::size_t i) const {
  const std::int8_t mode = i < modes_.size() ? modes_[i] : 0;
  bool on = false;
  if (rec_.faults) {
    if (pos >= choices_.size()) return pos;
    on = choices_[pos++] == 0;
  }
  if (mode != 0) on = mode > 0;
  return on ? pos + 1 : pos;
}

std::size_t Shrinker::prefix_end() const {
  if (!rec_.faults && modes_.empty()) return 0;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < sim::fault_sites().size() && pos < choices_.size(); ++i) pos = skip_site(pos, i);
  return std::min(pos, choices_.size());
}

// A site goes off by answering 1 and dropping its rate (not a site that
// --fault-sites switched on or off: the draw does not decide it).
void Shrinker::fault_sites_off() {
  if (!rec_.faults) return;
  const std::size_t n = sim::fault_sites().size();
  for (std::size_t site = 0; site < n && budget(); ++site) {
    std::size_t pos = 0;
    for (std::size_t i = 0; i < site && pos < choices_.size(); ++i) pos = skip_site(pos, i);
    if (site < modes_.size() && modes_[site] != 0) continue;
    if (pos >= choices_.size() || choices_[pos] != 0) continue;
    Choices c = choices_;
    c[pos] = 1;
    if (pos + 1 < c.size()) c.erase(c.begin() + static_cast<long>(pos) + 1);
    attempt(c);
  }
}

// The passes, in rounds, until a round finds nothing smaller or `limit`
// runs (of the whole budget) are spent.
void Shrinker::local_shrink(unsigned limit) {
  phase_limit_ = limit;
  while (budget()) {
    const Size before = size_;
    lower_params();
    fault_sites_off();
    // Delta debugging twice: first with the seeded strategy past the
    // tape's end (a random continuation finds shorter runs the defaults
    // do not), then with the defaults.
    random_tail_ = true;
    for (std::size_t chunk = first_chunk(2); chunk >= 1 && budget(); chunk /= 2) delete_chunks(chunk);
    random_tail_ = false;
    cut_short();
    fiber_defaults();
    for (std::size_t chunk = first_chunk(2); chunk >= 1 && budget(); chunk /= 2) delete_chunks(chunk);
    for (std::size_t chunk = first_chunk(4); chunk >= 1 && budget(); chunk /= 2) default_chunks(chunk);
    lower_draws();
    if (size_ == before) other_choices();
    if (size_ == before) break;  // a fixpoint: no pass found anything smaller
  }
  phase_limit_ = UINT_MAX;
}

// Fresh random runs after the swarm draw (the shrunk fault sites and
// parameters), each continuing with its own seed from a fixed sequence, so
// the search is deterministic, then as many with a fresh swarm draw too;
// the kStarts smallest that fail the same way, as new starts. Capped at
// the record's length.
std::vector<Shrinker::State> Shrinker::probe_starts() {
  const Choices prefix(choices_.begin(), choices_.begin() + static_cast<long>(prefix_end()));
  std::vector<State> found;
  random_tail_ = true;
  cap_ = base_.steps + 1;
  // An mm/pressure/* copy's probes run on the scenario it copies too.
  std::vector<const scenarios::Scenario*> where = {scenario_};
  if (!scenario_->pressure_base.empty()) where.push_back(scenarios::find_scenario(scenario_->pressure_base));
  // Then runs fresh from their first choice, the swarm draw too, as a
  // sweep's other seeds are: a sweep's shortest failing seed is often far
  // shorter than its first, with other fault sites on.
  std::vector<Choices> heads = {prefix};
  if (!prefix.empty()) heads.emplace_back();
  for (const Choices& head : heads) {
    for (const scenarios::Scenario* sc : where) {
      SIM_ASSERT(sc != nullptr);
      for (unsigned k = 1; k <= kProbes && runs_ < max_runs_; ++k) {
        tail_seed_ = rec_.seed + 0x9e3779b97f4a7c15ULL * k;
        sim::RunResult r = run(head, composition_, *sc);
        if (!same_failure(r)) continue;
        Choices c = r.tape.choices();
        const Size sz = size_of(r, c, param_sum(composition_));
        const auto same = [&](const State& f) { return f.choices == c && f.scenario == sc; };
        if (std::any_of(found.begin(), found.end(), same)) continue;
        found.push_back({std::move(c), std::move(r), sz, composition_, sc});
      }
    }
  }
  cap_ = 0;
  tail_seed_ = rec_.seed;
  random_tail_ = false;
  std::stable_sort(found.begin(), found.end(), [](const State& a, const State& b) { return a.size < b.size; });
  if (found.size() > kStarts) found.resize(kStarts);
  return found;
}

// The shortest tape (cut after the swarm draw) whose defaulted rest still
// fails; a binary search, as if failing were monotonic in the length.
void Shrinker::cut_short() {
  std::size_t lo = prefix_end();
  std::size_t hi = choices_.size();
  while (lo < hi && budget()) {
    const std::size_t mid = lo + (hi - lo) / 2;
    Choices c(choices_.begin(), choices_.begin() + static_cast<long>(mid));
    if (attempt(c)) {
      hi = std::min(mid, choices_.size());
    } else {
      lo = mid + 1;
    }
  }
}

void Shrinker::delete_chunks(std::size_t chunk) {
  std::size_t from = prefix_end();
  while (from < choices_.size() && budget()) {
    const std::size_t n = std::min(chunk, choices_.size() - from);
    Choices c = choices_;
    c.erase(c.begin() + static_cast<long>(from), c.begin() + static_cast<long>(from + n));
    if (!attempt(c)) from += n;  // kept: the same offset again, on the new tape
  }
}

// Choices off their default go to it; a chunk already at its defaults
// costs no run.
void Shrinker::default_chunks(std::size_t chunk) {
  std::size_t from = prefix_end();
  while (from < choices_.size() && budget()) {
    const std::size_t n = std::min(chunk, choices_.size() - from);
    Choices c = choices_;
    bool changed = false;
    for (std::size_t i = from; i < from + n; ++i) {
      if (c[i] == best_.choice_info[i].default_choice) continue;
      c[i] = sim::kDefaultChoice;
      changed = true;
    }
    if (!changed || !attempt(c)) from += n;
  }
}

// One fiber at a time (by id): its choices to their defaults — it is not
// switched away from while it can go on, then it is not switched to.
void Shrinker::fiber_defaults() {
  sim::FiberId fibers = 0;
  for (const sim::ChoiceInfo& info : best_.choice_info)
    if (info.fiber_choice) fibers = std::max<sim::FiberId>(fibers, std::max(info.current + 1, info.chosen + 1));
  for (sim::FiberId f = 0; f < fibers && budget(); ++f) {
    for (const bool running : {true, false}) {
      Choices c = choices_;
      bool changed = false;
      for (std::size_t i = prefix_end(); i < c.size(); ++i) {
        const sim::ChoiceInfo& info = best_.choice_info[i];
        const sim::FiberId whose = running ? info.current : info.chosen;
        if (!info.fiber_choice || c[i] == info.default_choice || whose != f) continue;
        c[i] = sim::kDefaultChoice;
        changed = true;
      }
      if (changed) attempt(c);
    }
  }
}

// Each draw above 0, from the last to the first: the smallest value that
// still fails, by bisection (0 was tried by default_chunks).
void Shrinker::lower_draws() {
  for (std::size_t i = choices_.size(); i-- > prefix_end() && budget();) {
    std::uint32_t lo = 1;  // a kept candidate moves the top down, a failed one the bottom up
    while (i < choices_.size() && !best_.choice_info[i].fiber_choice && lo < choices_[i] && budget()) {
      const std::uint32_t mid = lo + (choices_[i] - lo) / 2;
      Choices c = choices_;
      c[i] = mid;
      if (!attempt(c)) lo = mid + 1;
    }
  }
}

// When nothing else helps: every other fiber at each scheduling choice
// (a switch can bring the race on sooner), and a few other values of each
// draw (a larger size can reach the failing case in fewer operations).
void Shrinker::other_choices() {
  for (std::size_t i = prefix_end(); i < choices_.size() && budget(); ++i) {
    const sim::ChoiceInfo info = best_.choice_info[i];
    std::vector<std::uint32_t> values;
    if (info.fiber_choice) {
      for (std::uint32_t v = 0; v < info.bound; ++v) values.push_back(v);
    } else {
      values = {info.bound - 1, info.bound / 2, info.bound / 4, 1};
    }
    const std::uint32_t was = choices_[i];
    for (std::uint32_t v : values) {
      if (v == was || v >= info.bound) continue;
      Choices c = choices_;
      c[i] = v;
      if (attempt(c)) break;  // position i again, on the new tape
    }
    if (i < choices_.size() && choices_[i] != was) --i;
  }
}

}  // namespace shrink_detail



ShrinkOutcome shrink_failure(const scenarios::Scenario& scenario, const sim::FailureRecord& rec,
                             const scenarios::Composition& composition, unsigned max_runs) {
  shrink_detail::Shrinker shrinker(scenario, rec, composition, max_runs);
  ShrinkOutcome out;
  out.reproduced = shrinker.start();
  if (out.reproduced) shrinker.shrink();
  out.before = shrinker.base();
  out.after = out.reproduced ? shrinker.best() : shrinker.base();
  out.runs = shrinker.runs();
  out.composition = shrinker.composition();
  out.scenario = &shrinker.scenario();
  return out;
}

}  // namespace wbsim::cli
