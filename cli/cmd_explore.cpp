// wbsim explore SCENARIO [--preemption-bound K] [--max-schedules N]:
// systematic search of a scenario's schedules, as CHESS does it: every
// schedule with at most K preemptions, each run once, depth first.
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
#include <algorithm>
#include <cstdint>
#include <vector>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/output_paths.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "scenarios/registry.h"
#include "sim/failure_file.h"

namespace wbsim::cli {

namespace {

struct Node {
  std::vector<std::uint32_t> prefix;  // tape answers to follow
  unsigned preemptions = 0;           // in the prefix
};

// Past a node's prefix every answer is the default, so the run's chosen
// fiber at a choice is the running one exactly when it could go on. Then
// any other answer preempts it; when it had blocked, none does.
bool preempts(const sim::ChoiceInfo& c, std::uint32_t answer) {
  return c.fiber_choice && c.chosen == c.current && answer != c.default_choice;
}

}  // namespace

int cmd_explore(const ExploreArgs& args) {
  const scenarios::Scenario& scenario = lookup_scenario(args.scenario);
  check_output_dir("--out", args.out_dir);
  std::vector<Node> stack{Node{}};
  std::uint64_t schedules = 0, steps = 0;
  while (!stack.empty() && schedules < args.max_schedules) {
    const Node node = std::move(stack.back());
    stack.pop_back();
    sim::Tape tape;
    for (const std::uint32_t v : node.prefix) tape.push(v);
    scenarios::RunRequest req;
    req.seed = 1;
    req.faults = false;
    req.strategy.kind = sim::StrategySpec::Kind::shrink;
    // A scenario's workload loops (s.more) run their whole count by default.
    req.strategy.shrink_decisions_seeded = true;
    req.replay_tape = &tape;
    const sim::RunResult r = scenarios::run_scenario(scenario, req);
    ++schedules;
    steps += r.steps;
    if (r.finding) {
      fmt::print("explore {}: {} fired in schedule {} ({} preemptions, {} steps)\n", scenario.name, r.finding->checker,
                 schedules, node.preemptions, r.steps);
      print_finding(stdout, *r.finding, r);
      sim::FailureRecord rec;
      fill_provenance(rec, scenario);
      rec.scenario = scenario.name;
      rec.seed = req.seed;
      rec.faults = false;
      fill_failure(rec, r);  // the tape holds every answer, the defaults included: a replay follows it exactly
      std::string error;
      const auto path = sim::write_failure_file(args.out_dir, rec, &error);
      if (path) {
        fmt::print("failure file: {}\nreproduce: {} replay {}\n", *path, program(), *path);
      } else {
        fmt::print(stderr, "wbsim: {}\n", error);
      }
      return kViolated;
    }
    // Children: at each choice past the prefix, each other fiber.
    const std::vector<sim::ChoiceInfo>& info = r.choice_info;
    const std::vector<std::uint32_t> answers = r.tape.choices();
    std::vector<Node> children;
    for (std::size_t i = node.prefix.size(); i < info.size() && i < answers.size(); ++i) {
      const sim::ChoiceInfo& c = info[i];
      if (!c.fiber_choice) continue;
      for (std::uint32_t alt = 0; alt < c.bound; ++alt) {
        if (alt == answers[i]) continue;
        const unsigned p = node.preemptions + (preempts(c, alt) ? 1u : 0u);
        if (p > args.preemption_bound) continue;
        Node child{std::vector<std::uint32_t>(answers.begin(), answers.begin() + static_cast<long>(i)), p};
        child.prefix.push_back(alt);
        children.push_back(std::move(child));
      }
    }
    // Depth first, earlier branch points first.
    for (auto it = children.rbegin(); it != children.rend(); ++it) stack.push_back(std::move(*it));
  }
  const bool exhausted = stack.empty();
  fmt::print("explore {}: {} schedules ({} steps), preemption bound {}: {}\n", scenario.name, schedules, steps,
             args.preemption_bound,
             exhausted ? "the bounded space is exhausted, no checker fired"
                       : fmt::format("stopped at --max-schedules {}, {} branches left", args.max_schedules, stack.size()));
  return kPass;
}

}  // namespace wbsim::cli
