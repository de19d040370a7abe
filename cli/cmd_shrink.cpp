// `wbsim shrink FILE`: a smaller run that fails the same way (same checker,
// same `where`). Everything a run does comes from its tape — the swarm draw
// of fault sites, every scheduling choice, every value a scenario draws
// (sizes, counts, offsets) — so the shrinker edits the tape and replays it:
//
//   1. fault sites off, one at a time (the swarm draw is the tape's prefix);
//   2. delta debugging over the rest: drop chunks of choices, halving the
//      chunk size down to one (a replay past a shortened tape goes on under
//      the seeded strategy, so a dropped choice is a "default" one);
//   3. lower choices to 0, chunk by chunk: the first runnable fiber (fewer
//      switches) and the smallest drawn value (smaller workloads).
//
// A candidate is kept when it fails the same way with no more steps than
// the best so far (and a shorter or smaller tape); the tape kept is the one
// the candidate's run recorded, so the result replays exactly.
#include <algorithm>
#include <functional>
#include <numeric>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/script.h"
#include "scenarios/bugs.h"
#include "scenarios/registry.h"
#include "sim/atomic_file.h"
#include "sim/failure_file.h"
#include "sim/fault.h"

namespace wbsim::cli {

namespace {

using Choices = std::vector<std::uint32_t>;

sim::Tape to_tape(const Choices& c) {
  sim::Tape t;
  for (std::uint32_t v : c) t.push(v);
  return t;
}

std::uint64_t weight(const Choices& c) { return std::accumulate(c.begin(), c.end(), std::uint64_t{0}); }

class Shrinker {
 public:
  Shrinker(const scenarios::Scenario& scenario, const sim::FailureRecord& rec, unsigned max_runs)
      : scenario_(scenario), rec_(rec), max_runs_(max_runs) {}

  // False when the file's failure does not reproduce.
  bool start() {
    base_ = run(rec_.tape.choices());
    if (!base_.finding || base_.finding->checker != rec_.checker) return false;
    best_ = base_;
    best_choices_ = base_.tape.choices();
    return true;
  }

  void shrink() {
    fault_sites_off();
    for (std::size_t chunk = std::max<std::size_t>(best_choices_.size() / 2, 1); chunk >= 1 && budget(); chunk /= 2) {
      edit_chunks(chunk, [](Choices& c, std::size_t from, std::size_t n) { c.erase(c.begin() + from, c.begin() + from + n); });
      if (chunk == 1) break;
    }
    for (std::size_t chunk = std::max<std::size_t>(best_choices_.size() / 4, 1); chunk >= 1 && budget(); chunk /= 2) {
      edit_chunks(chunk, [](Choices& c, std::size_t from, std::size_t n) {
        std::fill(c.begin() + from, c.begin() + from + n, 0u);
      });
      if (chunk == 1) break;
    }
  }

  const sim::RunResult& base() const { return base_; }
  const sim::RunResult& best() const { return best_; }
  unsigned runs() const { return runs_; }

 private:
  sim::RunResult run(const Choices& choices) {
    ++runs_;
    const sim::Tape tape = to_tape(choices);
    scenarios::RunRequest req;
    req.seed = rec_.seed;
    req.strategy.kind = sim::StrategySpec::Kind::replay;
    req.bugs = rec_.bugs;
    req.replay_tape = &tape;
    req.faults = rec_.faults;
    return scenarios::run_scenario(scenario_, req);
  }
  bool budget() const { return runs_ < max_runs_; }

  bool same_failure(const sim::RunResult& r) const {
    return r.finding && r.finding->checker == base_.finding->checker && r.finding->where == base_.finding->where;
  }
  bool smaller(const sim::RunResult& r) const {
    const Choices c = r.tape.choices();
    if (r.steps != best_.steps) return r.steps < best_.steps;
    if (c.size() != best_choices_.size()) return c.size() < best_choices_.size();
    return weight(c) < weight(best_choices_);
  }
  // Tries `candidate`; keeps it (as its run recorded it) if it fails the
  // same way and is smaller.
  bool attempt(const Choices& candidate) {
    if (!budget()) return false;
    sim::RunResult r = run(candidate);
    if (!same_failure(r) || !smaller(r)) return false;
    best_choices_ = r.tape.choices();
    best_ = std::move(r);
    return true;
  }

  // The swarm draw is the tape's prefix: per site in name order, a draw
  // below 2 (0: on) and, for a site on, its rate. A site goes off by
  // answering 1 and dropping its rate.
  void fault_sites_off() {
    if (!rec_.faults) return;
    const std::size_t n = sim::fault_sites().size();
    for (std::size_t site = 0; site < n && budget(); ++site) {
      std::size_t pos = 0;
      for (std::size_t i = 0; i < site && pos < best_choices_.size(); ++i) pos += best_choices_[pos] == 0 ? 2 : 1;
      if (pos >= best_choices_.size() || best_choices_[pos] != 0) continue;
      Choices c = best_choices_;
      c[pos] = 1;
      if (pos + 1 < c.size()) c.erase(c.begin() + static_cast<long>(pos) + 1);
      attempt(c);
    }
  }

  void edit_chunks(std::size_t chunk, const std::function<void(Choices&, std::size_t, std::size_t)>& edit) {
    std::size_t from = prefix_end();
    while (from < best_choices_.size() && budget()) {
      const std::size_t n = std::min(chunk, best_choices_.size() - from);
      Choices c = best_choices_;
      edit(c, from, n);
      if (c == best_choices_ || !attempt(c)) from += n;  // kept: the same offset again, on the new tape
    }
  }

  // Where the swarm draw ends (edited only by fault_sites_off).
  std::size_t prefix_end() const {
    if (!rec_.faults) return 0;
    std::size_t pos = 0;
    for (std::size_t i = 0; i < sim::fault_sites().size() && pos < best_choices_.size(); ++i)
      pos += best_choices_[pos] == 0 ? 2 : 1;
    return pos;
  }

  const scenarios::Scenario& scenario_;
  const sim::FailureRecord& rec_;
  unsigned max_runs_;
  unsigned runs_ = 0;
  sim::RunResult base_;
  sim::RunResult best_;
  Choices best_choices_;
};

void print_row(const char* what, std::uint64_t before, std::uint64_t after) {
  fmt::print("  {:<18} {:>9} -> {:<9}{}\n", what, before, after,
             before != 0 && after < before ? fmt::format(" ({:.0f}%)", 100.0 * static_cast<double>(after) / static_cast<double>(before)) : "");
}

}  // namespace

int cmd_shrink(const ShrinkArgs& args) {
  std::string error;
  const auto rec = sim::read_failure_file(args.file, &error);
  if (!rec) throw UsageError(error);
  load_script_of(*rec, args.file);
  const scenarios::Scenario* scenario = scenarios::find_scenario(rec->scenario);
  if (scenario == nullptr) throw UsageError(fmt::format("{}:2: unknown scenario '{}' (wbsim list shows them)", args.file, rec->scenario));
  for (const std::string& b : rec->bugs) {
    if (scenarios::find_bug(b) == nullptr) throw UsageError(fmt::format("{}:5: unknown bug '{}'", args.file, b));
  }
  Shrinker shrinker(*scenario, *rec, args.max_runs);
  if (!shrinker.start()) {
    fmt::print("HARNESS: {} does not reproduce ({} recorded; replay with `wbsim replay {}`)\n", args.file, rec->checker,
               args.file);
    return kHarness;
  }
  shrinker.shrink();
  const sim::RunResult& a = shrinker.base();
  const sim::RunResult& b = shrinker.best();
  sim::FailureRecord out = *rec;
  fill_provenance(out, *scenario);
  out.message = b.finding->message;
  out.time = b.finding->time;
  out.step = b.finding->step;
  out.trace_hash = b.trace_hash;
  out.tape = b.tape;
  std::string path = args.out;
  if (path.empty()) {
    path = args.file;
    if (path.size() > 6 && path.ends_with(".wbsim")) path.resize(path.size() - 6);
    path += ".shrunk.wbsim";
  }
  if (!sim::write_file_atomically(path, sim::format_failure_file(out), &error))
    throw UsageError(fmt::format("-o {}: {}", path, error));
  fmt::print("shrunk {} in {} runs: {} still fires at {}\n", args.file, shrinker.runs(), b.finding->checker,
             b.finding->where.empty() ? std::string("(no source location)") : b.finding->where);
  print_row("steps", a.steps, b.steps);
  print_row("tape choices", a.tape.size(), b.tape.size());
  print_row("fault sites on", a.fault_sites_on, b.fault_sites_on);
  print_row("faults fired", a.faults_fired, b.faults_fired);
  print_row("fibers", a.fibers, b.fibers);
  print_row("trace lines", a.trace_lines, b.trace_lines);
  fmt::print("FAIL {}: {}\n", b.finding->checker, b.finding->message);
  fmt::print("shrunk failure file: {}\n", path);
  fmt::print("reproduce: {} replay {}\n", program(), path);
  return kViolated;
}

}  // namespace wbsim::cli
