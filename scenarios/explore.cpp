// The search (see explore.h and docs/runtime.md, "Exploring every schedule").
//
// A schedule is the run's sequence of fiber choices. Runs use the shrink
// strategy: a tape prefix is followed and every choice past it takes the
// default — the running fiber goes on if it can (no context switch), else
// the first runnable one; a draw takes 0. A node of the search is a prefix;
// its run shows, at every choice past the prefix, the other fibers that
// could have run; each of them is a child (the run's own answers up to
// there, then that fiber). Every schedule is thereby run exactly once. A
// choice that takes another fiber while the running one could go on is a
// preemption; the bound prunes children past K. Draws (scenario values,
// fault decisions) are not branched on: faults are off and every draw is
// 0, so the answer is about schedules.
//
// Sleep sets (Godefroid): a step is what the chosen fiber runs until the
// next scheduling point; the scheduler records the sim objects it acted on
// (sim::StepFootprint). Two steps are independent when neither may have
// touched anything (a plain yield, a wait_event condition) and their
// objects are disjoint. At a choice, a sibling u already explored goes to
// sleep in the branch of a later sibling t when u's run to its block (the
// steps u's fiber takes from the choice on, not preempted, until it blocks
// or finishes; all known) is independent of t, and choosing u cost no more
// preemptions than choosing t; it stays asleep while the branch's steps are
// independent of that run, and a branch never picks a sleeping fiber: that
// schedule equals one in u's branch, with no more preemptions.
#include "scenarios/explore.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace wbsim::scenarios {

namespace {

struct Sleeper {
  sim::FiberId fiber = sim::kNoFiber;
  sim::StepFootprint step;  // its run to its block from there (seen when it was explored)
  bool preempted = false;   // choosing it was a preemption (for the eligibility rule)
};

// The siblings already explored at one choice, in the order they ran.
struct BranchPoint {
  std::vector<Sleeper> explored;
};

struct Node {
  std::vector<std::uint32_t> prefix;  // tape answers to follow
  unsigned preemptions = 0;           // in the prefix
  // Reduction only: the sleep set at the choice the prefix's last answer
  // was taken at, the siblings there, and whether that answer preempted.
  std::vector<Sleeper> sleep;
  std::shared_ptr<BranchPoint> branch;
  bool preempted = false;
};

// Past a node's prefix every answer is the default, so the run's chosen
// fiber at a choice is the running one exactly when it could go on. Then
// any other answer preempts it; when it had blocked, none does.
bool preempts(const sim::ChoiceInfo& c, std::uint32_t answer) {
  return c.fiber_choice && c.chosen == c.current && answer != c.default_choice;
}

bool independent(const sim::StepFootprint& a, const sim::StepFootprint& b) {
  if (a.unknown || b.unknown) return false;
  const auto in = [](const std::vector<sim::ObjectId>& v, sim::ObjectId o) {
    return std::find(v.begin(), v.end(), o) != v.end();
  };
  for (const sim::ObjectId o : a.objects) {
    if (in(b.objects, o) || in(b.shared, o)) return false;
  }
  for (const sim::ObjectId o : a.shared) {
    if (in(b.objects, o)) return false;
  }
  return true;
}

void merge(sim::StepFootprint& into, const sim::StepFootprint& step) {
  const auto in = [](const std::vector<sim::ObjectId>& v, sim::ObjectId o) {
    return std::find(v.begin(), v.end(), o) != v.end();
  };
  for (const sim::ObjectId o : step.objects) {
    std::erase(into.shared, o);
    if (!in(into.objects, o)) into.objects.push_back(o);
  }
  for (const sim::ObjectId o : step.shared) {
    if (!in(into.objects, o) && !in(into.shared, o)) into.shared.push_back(o);
  }
}

// What the fiber chosen at choice i does from there, run on without a
// preemption until it blocks or finishes — what the run does past its
// prefix, every later answer being the default: the union of those steps'
// footprints, ended_runnable false. Unknown when one of them is, or when
// the run stops first (a finding, a budget).
sim::StepFootprint run_to_block(const std::vector<sim::ChoiceInfo>& info,
                                const std::vector<sim::StepFootprint>& steps, std::size_t i) {
  sim::StepFootprint unknown;
  unknown.unknown = true;
  sim::StepFootprint out;
  const sim::FiberId fiber = info[i].chosen;
  for (std::size_t j = i; j < info.size() && j < steps.size(); ++j) {
    if (!info[j].fiber_choice) continue;
    if (info[j].chosen != fiber || steps[j].unknown) return unknown;
    merge(out, steps[j]);
    if (!steps[j].ended_runnable) {
      out.ended_runnable = false;
      return out;
    }
  }
  return unknown;
}

bool asleep(const std::vector<Sleeper>& sleep, sim::FiberId f) {
  return std::any_of(sleep.begin(), sleep.end(), [f](const Sleeper& s) { return s.fiber == f; });
}

// Keeps the sleepers independent of the step just taken.
void wake_dependent(std::vector<Sleeper>& sleep, const sim::StepFootprint& taken) {
  std::erase_if(sleep, [&taken](const Sleeper& s) { return !independent(s.step, taken); });
}

}  // namespace

ExploreResult explore(const Scenario& scenario, const ExploreOptions& options) {
  ExploreResult out;
  out.reduced = options.reduction && scenario.options.por_safe;
  std::vector<Node> stack{Node{}};
  while (!stack.empty() && out.schedules < options.max_schedules) {
    Node node = std::move(stack.back());
    stack.pop_back();
    sim::Tape tape;
    for (const std::uint32_t v : node.prefix) tape.push(v);
    RunRequest req;
    req.seed = out.seed;
    req.faults = false;
    req.bugs = options.bugs;
    req.composition = options.composition;
    req.strategy.kind = sim::StrategySpec::Kind::shrink;
    // A scenario's workload loops (s.more) run their whole count by default.
    req.strategy.shrink_decisions_seeded = true;
    req.replay_tape = &tape;
    req.record_footprints = out.reduced;
    sim::RunResult r = run_scenario(scenario, req);
    ++out.schedules;
    out.steps += r.steps;
    if (r.finding) {
      out.failure_preemptions = node.preemptions;
      out.failure = std::move(r);
      out.branches_left = stack.size();
      return out;
    }
    const std::vector<sim::ChoiceInfo>& info = r.choice_info;
    const std::vector<std::uint32_t> answers = r.tape.choices();
    const std::size_t n = std::min(info.size(), answers.size());
    auto step_at = [&r](std::size_t i) {
      sim::StepFootprint unknown;
      unknown.unknown = true;
      return i < r.footprints.size() ? r.footprints[i] : unknown;
    };
    // The sleep set after the prefix.
    std::vector<Sleeper> sleep;
    if (out.reduced && node.branch && !node.prefix.empty() && node.prefix.size() <= n) {
      const std::size_t at = node.prefix.size() - 1;
      sleep = std::move(node.sleep);
      for (const Sleeper& u : node.branch->explored) {
        if (!u.step.unknown && !u.step.ended_runnable && (!u.preempted || node.preempted) && !asleep(sleep, u.fiber))
          sleep.push_back(u);
      }
      const sim::StepFootprint taken = step_at(at);
      node.branch->explored.push_back(
          Sleeper{info[at].chosen, run_to_block(info, r.footprints, at), node.preempted});
      wake_dependent(sleep, taken);
    }
    // Children: at each choice past the prefix, each other fiber.
    std::vector<Node> children;
    for (std::size_t i = node.prefix.size(); i < n; ++i) {
      const sim::ChoiceInfo& c = info[i];
      if (!c.fiber_choice) continue;
      const bool redundant = asleep(sleep, c.chosen);  // this run's schedule from here is covered elsewhere
      std::shared_ptr<BranchPoint> branch;
      if (out.reduced) {
        branch = std::make_shared<BranchPoint>();
        if (!redundant) {
          branch->explored.push_back(Sleeper{c.chosen, run_to_block(info, r.footprints, i), false});
        }
      }
      for (std::uint32_t alt = 0; alt < c.bound; ++alt) {
        if (alt == answers[i]) continue;
        const bool p = preempts(c, alt);
        const unsigned total = node.preemptions + (p ? 1u : 0u);
        if (total > options.preemption_bound) continue;
        if (alt < c.runnable.size() && asleep(sleep, c.runnable[alt])) {
          ++out.pruned;
          continue;
        }
        Node child{std::vector<std::uint32_t>(answers.begin(), answers.begin() + static_cast<long>(i)), total};
        child.prefix.push_back(alt);
        child.sleep = sleep;
        child.branch = branch;
        child.preempted = p;
        children.push_back(std::move(child));
      }
      if (redundant) break;
      wake_dependent(sleep, step_at(i));
    }
    // Depth first, earlier branch points first.
    for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back(std::move(*it));
  }
  out.exhausted = stack.empty();
  out.branches_left = stack.size();
  return out;
}

}  // namespace wbsim::scenarios
