// wbsim evaluate [--base-seeds N] [--cap N] [--explore-cap N] [--bug NAME]...
// [--jobs N] [--out FILE]: how fast each search strategy finds each injectable bug
// (`wbsim bugs`), SCTBench-style; docs/evaluation.md is its output.
//
// For every bug and every seeded strategy (random, pct:1, pct:2, pct:3) and
// base seed b (0 .. N-1): seeds b*10000+1, b*10000+2, ... are run on every
// scenario of the bug's glob in turn until a run fails with the bug's
// checker, or --cap runs were made. The figures are the runs and the CPU
// time to that first detection, median over the base seeds. Explore (bounds
// 1 and 2) is deterministic, so it is run once: its scenarios in turn, each
// to its first failure or --explore-cap schedules; the figure is the schedules run
// until the bug's checker fired.
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/output_paths.h"
#include "scenarios/bugs.h"
#include "scenarios/explore.h"
#include "scenarios/registry.h"

namespace wbsim::cli {

namespace {

constexpr std::uint64_t kNotFound = std::numeric_limits<std::uint64_t>::max();

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct Column {
  std::string title;
  bool explore = false;
  sim::StrategySpec strategy;  // seeded columns
  unsigned bound = 0;          // explore columns
};

// One measurement: a base seed's search (seeded columns) or the one
// explore search.
struct Sample {
  std::uint64_t runs = kNotFound;  // to the first detection
  std::uint64_t tried = 0;         // runs made in all
  double cpu = 0;                  // seconds, to the detection (or in all)
  std::string note;                // explore: why it stopped without one
};

struct Task {
  std::size_t bug = 0;
  std::size_t column = 0;
  std::uint64_t base = 0;
};

Sample seeded_search(const scenarios::BugInfo& bug, const std::vector<const scenarios::Scenario*>& scenarios,
                     const sim::StrategySpec& strategy, std::uint64_t base, std::uint64_t cap) {
  Sample s;
  const double start = thread_cpu_seconds();
  for (std::uint64_t k = 1; s.tried < cap; ++k) {
    for (const scenarios::Scenario* sc : scenarios) {
      if (s.tried >= cap) break;
      scenarios::RunRequest req;
      req.seed = base * 10000 + k;
      req.strategy = strategy;
      req.bugs = {bug.name};
      const sim::RunResult r = scenarios::run_scenario(*sc, req);
      ++s.tried;
      if (r.finding && r.finding->checker == bug.checker) {
        s.runs = s.tried;
        s.cpu = thread_cpu_seconds() - start;
        return s;
      }
    }
  }
  s.cpu = thread_cpu_seconds() - start;
  return s;
}

Sample explore_search(const scenarios::BugInfo& bug, const std::vector<const scenarios::Scenario*>& scenarios,
                      unsigned bound, std::uint64_t cap) {
  Sample s;
  const double start = thread_cpu_seconds();
  std::vector<std::string> notes;
  for (const scenarios::Scenario* sc : scenarios) {
    scenarios::ExploreOptions o;
    o.preemption_bound = bound;
    o.max_schedules = cap;
    o.bugs = {bug.name};
    const scenarios::ExploreResult x = scenarios::explore(*sc, o);
    s.tried += x.schedules;
    if (x.failure && x.failure->finding->checker == bug.checker) {
      s.runs = s.tried;
      s.cpu = thread_cpu_seconds() - start;
      return s;
    }
    if (x.failure) {
      notes.push_back(fmt::format("{} fired first", x.failure->finding->checker));
    } else if (x.exhausted) {
      notes.push_back("exhausted");
    } else {
      notes.push_back("cap");
    }
  }
  s.cpu = thread_cpu_seconds() - start;
  std::sort(notes.begin(), notes.end());
  notes.erase(std::unique(notes.begin(), notes.end()), notes.end());
  for (const std::string& n : notes) s.note += (s.note.empty() ? "" : ", ") + n;
  return s;
}

std::string seconds(double s) {
  if (s < 0.01) return fmt::format("{:.1f} ms", s * 1e3);
  if (s < 10) return fmt::format("{:.2f} s", s);
  return fmt::format("{:.0f} s", s);
}

// The median of the samples, a search that found nothing counting as
// longer than any that did (the lower median for an even count).
std::string cell(std::vector<Sample> samples, std::uint64_t cap, bool explore) {
  std::sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) {
    return a.runs != b.runs ? a.runs < b.runs : a.cpu < b.cpu;
  });
  const std::size_t found = static_cast<std::size_t>(
      std::count_if(samples.begin(), samples.end(), [](const Sample& s) { return s.runs != kNotFound; }));
  const Sample& m = samples[(samples.size() - 1) / 2];
  if (explore) {
    if (m.runs != kNotFound) return fmt::format("{} / {}", m.runs, seconds(m.cpu));
    return fmt::format("— ({}; {} sched., {})", m.note, m.tried, seconds(m.cpu));
  }
  std::string text = m.runs != kNotFound ? fmt::format("{} / {}", m.runs, seconds(m.cpu))
                                         : fmt::format("> {}", cap);
  if (found != samples.size()) text += fmt::format(" ({}/{})", found, samples.size());
  return text;
}

// The median runs to detection (kNotFound when the median search failed).
std::uint64_t median_runs(std::vector<Sample> samples) {
  std::sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) { return a.runs < b.runs; });
  return samples[(samples.size() - 1) / 2].runs;
}

std::uint64_t parse_count(const char* flag, const std::string& text, std::uint64_t max) {
  const std::uint64_t v = parse_seed(flag, text);
  if (v == 0 || v > max) throw UsageError(fmt::format("{} {}: must be 1 to {}", flag, text, max));
  return v;
}

}  // namespace

int cmd_evaluate(const EvaluateArgs& args) {
  const std::uint64_t bases = parse_count("--base-seeds", args.base_seeds, 1000);
  const std::uint64_t cap = parse_count("--cap", args.cap, 1'000'000);
  const std::uint64_t explore_cap = parse_count("--explore-cap", args.explore_cap, 1'000'000);
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  if (!args.jobs.empty()) jobs = static_cast<unsigned>(parse_count("--jobs", args.jobs, 1024));
  check_bugs(args.bugs);
  if (!args.out.empty()) check_output_file("--out", args.out);

  std::vector<const scenarios::BugInfo*> bugs;
  for (const scenarios::BugInfo& b : scenarios::known_bugs()) {
    if (args.bugs.empty() || std::find(args.bugs.begin(), args.bugs.end(), b.name) != args.bugs.end())
      bugs.push_back(&b);
  }
  std::vector<std::vector<const scenarios::Scenario*>> globs;
  for (const scenarios::BugInfo* b : bugs) globs.push_back(scenarios::match_scenarios(b->scenarios));

  std::vector<Column> columns;
  for (const char* name : {"random", "pct:1", "pct:2", "pct:3"}) {
    std::string error;
    columns.push_back({name, false, *sim::StrategySpec::parse(name, &error), 0});
  }
  for (const unsigned k : {1u, 2u}) columns.push_back({fmt::format("explore K={}", k), true, {}, k});

  std::vector<Task> tasks;
  for (std::size_t b = 0; b < bugs.size(); ++b) {
    if (globs[b].empty()) continue;
    for (std::size_t c = 0; c < columns.size(); ++c) {
      const std::uint64_t n = columns[c].explore ? 1 : bases;
      for (std::uint64_t base = 0; base < n; ++base) tasks.push_back({b, c, base});
    }
  }
  // Explore searches first: they are the longest, so the threads end together.
  std::stable_partition(tasks.begin(), tasks.end(), [&](const Task& t) { return columns[t.column].explore; });
  std::vector<Sample> results(tasks.size());
  std::atomic<std::size_t> next{0};
  std::atomic<std::size_t> done{0};
  const auto wall_start = std::chrono::steady_clock::now();
  auto worker = [&] {
    for (std::size_t i = next++; i < tasks.size(); i = next++) {
      const Task& t = tasks[i];
      const Column& col = columns[t.column];
      results[i] = col.explore ? explore_search(*bugs[t.bug], globs[t.bug], col.bound, explore_cap)
                               : seeded_search(*bugs[t.bug], globs[t.bug], col.strategy, t.base, cap);
      const std::size_t d = ++done;
      if (args.progress && (d % 50 == 0 || d == tasks.size()))
        fmt::print(stderr, "evaluate: {}/{} searches\n", d, tasks.size());
    }
  };
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < jobs; ++j) threads.emplace_back(worker);
  worker();
  for (std::thread& th : threads) th.join();
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();

  std::vector<std::vector<std::vector<Sample>>> by(bugs.size(), std::vector<std::vector<Sample>>(columns.size()));
  double cpu_total = 0;
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    by[tasks[i].bug][tasks[i].column].push_back(results[i]);
    cpu_total += results[i].cpu;
  }

  std::string out;
  out += fmt::format("| bug | checker | scenarios |");
  for (const Column& c : columns) out += fmt::format(" {} |", c.title);
  out += "\n|---|---|---|";
  for (std::size_t c = 0; c < columns.size(); ++c) out += "---|";
  out += "\n";
  std::vector<unsigned> fastest(columns.size(), 0);
  for (std::size_t b = 0; b < bugs.size(); ++b) {
    out += fmt::format("| {} | {} | {} |", bugs[b]->name, bugs[b]->checker, globs[b].size());
    if (globs[b].empty()) {
      for (std::size_t c = 0; c < columns.size(); ++c) out += " no scenario |";
      out += "\n";
      continue;
    }
    std::uint64_t best = kNotFound;
    for (std::size_t c = 0; c < columns.size(); ++c) best = std::min(best, median_runs(by[b][c]));
    for (std::size_t c = 0; c < columns.size(); ++c) {
      out += fmt::format(" {} |", cell(by[b][c], cap, columns[c].explore));
      if (best != kNotFound && median_runs(by[b][c]) == best) ++fastest[c];
    }
    out += "\n";
  }
  out += "\nFewest runs to detection (median; ties count for each):";
  for (std::size_t c = 0; c < columns.size(); ++c) out += fmt::format(" {} {}{}", columns[c].title, fastest[c],
                                                                      c + 1 < columns.size() ? "," : ".");
  out += fmt::format("\n\n{} bugs, {} base seeds, cap {} runs, explore cap {} schedules per scenario; {} searches, "
                     "{} CPU in all, {} wall on {} threads.\n",
                     bugs.size(), bases, cap, explore_cap, tasks.size(), seconds(cpu_total), seconds(wall), jobs);
  if (args.out.empty()) {
    fmt::print("{}", out);
  } else {
    write_file_atomically(args.out, out);
    fmt::print("evaluate: wrote {} ({} bugs)\n", args.out, bugs.size());
  }
  return kPass;
}

}  // namespace wbsim::cli
