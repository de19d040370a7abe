// wbsim: the command line. Parses arguments (CLI11), dispatches to the
// commands, and turns every bad input into one line and exit code 2.
#include <algorithm>
#include <string_view>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "scenarios/bugs.h"
#include "sim/coverage.h"
#include "sim/fault.h"
#include "sim/run.h"

namespace {

int cmd_bugs() {
  for (const auto& b : wbsim::scenarios::known_bugs()) {
    if (b.name.starts_with("planted-")) continue;  // checker demonstrations, not kernel history (`--bug` takes them)
    fmt::print("{} scenarios={} checker={} fix=\"{}\"\n", b.name, b.scenarios, b.checker, b.fix);
  }
  return wbsim::cli::kPass;
}

int cmd_marks() {
  std::size_t width = 0;
  for (const auto* m : wbsim::sim::coverage_marks()) width = std::max(width, std::string_view(m->name()).size());
  for (const auto* m : wbsim::sim::coverage_marks()) fmt::print("{:<{}}  {}\n", m->name(), width, m->description());
  return wbsim::cli::kPass;
}

int cmd_faults() {
  std::size_t width = 0;
  for (const auto* f : wbsim::sim::fault_sites()) width = std::max(width, std::string_view(f->name()).size());
  for (const auto* f : wbsim::sim::fault_sites()) fmt::print("{:<{}}  {}\n", f->name(), width, f->description());
  return wbsim::cli::kPass;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace wbsim::cli;
  if (argc > 0) set_program(argv[0]);
  wbsim::sim::keep_memory_between_runs();
  CLI::App app{"wbsim: deterministic simulation and model checking of Linux-style writeback"};
  app.set_version_flag("--version", fmt::format("wbsim {}", WBSIM_VERSION));
  app.require_subcommand(1, 1);

  bool list_long = false;
  std::vector<std::string> list_scripts;
  auto* list = app.add_subcommand("list", "list scenarios, one per line");
  list->add_flag("--long", list_long, "with expectation and purpose");
  // --script takes one file per use, so `run --script FILE NAME` leaves NAME
  // to the positional argument.
  list->add_option("--script", list_scripts, "also the scenarios of this C++ file (compiled, cached; repeatable)")
      ->allow_extra_args(false);

  RunArgs run_args;
  auto* run = app.add_subcommand("run", "run one scenario with one seed");
  run->add_option("scenario", run_args.scenario, "scenario name (wbsim list)")->required();
  run->add_option("--script", run_args.scripts, "a C++ file of scenarios, compiled and loaded first (repeatable)")
      ->allow_extra_args(false);
  run->add_option("--seed", run_args.seed, "seed (default 1)");
  run->add_option("--strategy", run_args.strategy, "random | pct:D");
  run->add_option("--bug", run_args.bugs, "inject a historical bug (wbsim bugs)");
  run->add_option("--trace", run_args.trace_file, "write the whole trace to FILE");
  run->add_option("--chrome-trace", run_args.chrome_trace_file,
                  "write the run as Chrome trace-event JSON (chrome://tracing, Perfetto) to FILE");
  run->add_flag("--trace-hash", run_args.trace_hash, "print trace-hash: <hex> last");
  run->add_option("--out", run_args.out_dir, "failure file directory (default ./wbsim-failures)");
  run->add_option("--fault-sites", run_args.fault_sites,
                  "+SITE,-SITE,...: swarm fault sites on or off for the run (globs; wbsim faults lists them)");
  run->add_option("--param", run_args.params, "NAME=VALUE: one of the scenario's parameters (wbsim list --long)")
      ->allow_extra_args(false);
  run->add_option("--dio-policy", run_args.dio_policy,
                  "run a dio/DESIGN/NAME scenario under another design: netfs, pagecache-add-lock, lock-entries, "
                  "dio-via-pagecache");

  ShrinkArgs shrink_args;
  auto* shrink = app.add_subcommand("shrink", "minimise a failure file while the same checker still fails there");
  shrink->add_option("file", shrink_args.file, "failure file")->required();
  shrink->add_option("-o,--out", shrink_args.out, "where to write the shrunk failure file (default FILE.shrunk.wbsim)");
  shrink->add_option("--max-runs", shrink_args.max_runs, fmt::format("replays to spend (default {})", kShrinkRuns))->check(CLI::Range(1u, 1000000u));

  ReplayArgs replay_args;
  auto* replay = app.add_subcommand("replay", "re-run a failure file bit for bit");
  replay->add_option("file", replay_args.file, "failure file")->required();
  replay->add_option("--trace", replay_args.trace_file, "write the whole trace to FILE");
  replay->add_option("--chrome-trace", replay_args.chrome_trace_file,
                     "write the run as Chrome trace-event JSON (chrome://tracing, Perfetto) to FILE");
  replay->add_flag("--trace-hash", replay_args.trace_hash, "print trace-hash: <hex> last");
  replay->add_flag("--continue", replay_args.continue_run,
                   "after a divergence, finish the run under the seeded strategy and give its verdict");
  replay->add_option_function<std::string>(
      "--bugs", [&replay_args](const std::string& list) {
        std::vector<std::string> bugs;
        std::string_view v = list;
        while (!v.empty()) {
          const std::size_t comma = v.find(',');
          if (comma != 0) bugs.emplace_back(v.substr(0, comma));
          v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
        }
        replay_args.bugs = std::move(bugs);
      },
      "replace the file's bug switches (comma-separated; '' for none, as after the fix)");

  DrawArgs draw_args;
  auto* draw = app.add_subcommand("draw", "replay a failure file and draw its folios and subrequests at a step");
  draw->add_option("file", draw_args.file, "failure file")->required();
  draw->add_option("--step", draw_args.step, "the step to draw (default: where the run ends)");
  draw->add_option("--svg", draw_args.svg_file, "also write the picture as SVG to FILE");

  ExploreArgs explore_args;
  auto* explore = app.add_subcommand("explore", "run every schedule of a scenario with at most K preemptions (CHESS-style)");
  explore->add_option("scenario", explore_args.scenario, "scenario name (wbsim list)")->required();
  explore->add_option("--preemption-bound", explore_args.preemption_bound, "K (default 2)")->check(CLI::Range(0u, 16u));
  explore->add_option("--max-schedules", explore_args.max_schedules, "stop after N schedules (default 100000)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  explore->add_option("--param", explore_args.params, "NAME=VALUE: one of the scenario's parameters (repeatable)")
      ->allow_extra_args(false);
  explore->add_flag("--no-reduction", explore_args.no_reduction,
                    "no sleep sets: run every schedule within the bound (the reduction is on for por_safe scenarios)");
  explore->add_option("--out", explore_args.out_dir, "failure file directory (default ./wbsim-failures)");

  EvaluateArgs evaluate_args;
  auto* evaluate = app.add_subcommand(
      "evaluate", "runs and CPU time to find each injectable bug under random, pct:1..3 and explore (bounds 1, 2)");
  evaluate->add_option("--base-seeds", evaluate_args.base_seeds, "base seeds per seeded strategy (default 20)");
  evaluate->add_option("--cap", evaluate_args.cap, "runs per seeded search (default 2000)");
  evaluate->add_option("--explore-cap", evaluate_args.explore_cap,
                       "schedules per scenario for explore (default 1000)");
  evaluate->add_option("--bug", evaluate_args.bugs, "only this bug (repeatable; default every wbsim bugs line)");
  evaluate->add_option("--jobs", evaluate_args.jobs, "threads (default: cores)");
  evaluate->add_option("--out", evaluate_args.out, "write the Markdown table to FILE (default: standard output)");
  evaluate->add_flag("--progress", evaluate_args.progress, "searches done, on standard error");

  TraceArgs trace_args;
  auto* trace = app.add_subcommand("trace", "replay a failure file and print its whole trace, or the lines that match");
  trace->add_option("file", trace_args.file, "failure file")->required();
  trace->add_option("--filter", trace_args.filter,
                    "fiber=NAME,obj=TEXT,kind=SYMBOL (all keys must match; a key twice matches either)");

  SweepArgs sweep_args;
  auto* sweep = app.add_subcommand("sweep", "run scenarios x seeds in parallel");
  sweep->add_option("--scenario", sweep_args.scenario_globs,
                    "scenario glob (repeatable; default all, or the scripts' scenarios with --script)");
  sweep->add_option("--script", sweep_args.scripts, "a C++ file of scenarios, compiled and loaded first (repeatable)")
      ->allow_extra_args(false);
  sweep->add_option("--seeds", sweep_args.seeds, "seeds per scenario (default 1000)");
  sweep->add_option("--seed-base", sweep_args.seed_base, "first seed (default 1)");
  sweep->add_option("--jobs", sweep_args.jobs, "threads (default: cores)");
  sweep->add_option("--shard", sweep_args.shard, "I/N: seeds with seed % N == I");
  sweep->add_option("--strategy", sweep_args.strategy, "random | pct:D");
  sweep->add_option("--bug", sweep_args.bugs, "inject a historical bug (wbsim bugs)");
  sweep->add_option("--out", sweep_args.out_dir, "failure file directory");
  sweep->add_option("--junit", sweep_args.junit_file, "write a JUnit XML report");
  sweep->add_option("--json", sweep_args.json_file, "write a JSON report");
  sweep->add_option("--time-limit", sweep_args.time_limit, "stop starting seeds after SECONDS");
  sweep->add_flag("--require-coverage", sweep_args.require_coverage,
                  "list coverage mark hits; fail if a registered mark was never hit");
  sweep->add_option("--fault-sites", sweep_args.fault_sites,
                    "+SITE,-SITE,...: swarm fault sites on or off for every seed (globs; wbsim faults lists them)");
  sweep->add_option("--param", sweep_args.params,
                    "NAME=VALUE: a parameter of the scenarios that declare it (wbsim list --long; repeatable)")
      ->allow_extra_args(false);
  sweep->add_option("--spec", sweep_args.spec,
                    "FILE.toml: run the sweeps it names (scenarios, seeds, strategy, bugs, fault sites, params)");
  sweep->add_flag("--in-process", sweep_args.in_process,
                  "run the seeds in this process (for a debugger; a crashing seed then ends the sweep)");
  sweep->add_flag("--shrink", sweep_args.shrink,
                  "shrink each failure group's kept run (as wbsim shrink) before writing its failure file");

  MergeArgs merge_args;
  auto* merge = app.add_subcommand("merge", "judge a sharded sweep's expectations and coverage over all its shards");
  merge->add_option("out", merge_args.out, "the merged JSON report to write")->required();
  merge->add_option("shards", merge_args.shards, "each shard's JSON report (wbsim sweep --shard I/N --json FILE)")
      ->required();
  merge->add_option("--junit", merge_args.junit_file, "write a JUnit XML report of the merged sweep");

  FsxArgs fsx_args;
  auto* fsx = app.add_subcommand("fsx", "replay an fsx operation log through the engine, print the transcript");
  fsx->add_option("opsfile", fsx_args.ops_file, "an .fsxops log")->required();
  fsx->add_option("--seed", fsx_args.seed, "seed (default 1)");
  fsx->add_option("--faults", fsx_args.faults, "none | all (the seed's swarm draw of every lossless fault site)");
  fsx->add_option("--transcript", fsx_args.transcript_file, "write the transcript to FILE (default: stdout)");
  fsx->add_option("--expected", fsx_args.expected_file, "compare with this transcript; exit 1 on a difference");
  fsx->add_option("--fuse", fsx_args.fuse,
                  "nowb | wb: replay on a FUSE file (Linux 6.18's client, writeback cache off or on) and print "
                  "the requests its server read");
  fsx->add_option("--fuse-view", fsx_args.fuse_view_file, "with --fuse: write the request stream to FILE");
  fsx->add_option("--expected-fuse", fsx_args.expected_fuse_file,
                  "with --fuse: compare with this request stream; exit 1 on a difference");
  fsx->add_flag("--past-f24", fsx_args.past_f24,
                "insert range drops the page cache to the end of the file (F24's proposed fix, docs/findings.md), so "
                "a log replays past the pinned finding");
  fsx->add_option("--max-op-bytes", fsx_args.max_op_bytes,
                  "refuse a log whose operation reaches past this byte of the file (default 1 GiB)");

  NewScenarioArgs new_args;
  auto* new_scenario = app.add_subcommand("new-scenario", "write a scenario skeleton to run with --script");
  new_scenario->add_option("name", new_args.name, "scenario name, e.g. mine/overwrite")->required();
  auto* kinds = new_scenario->add_option_group("kind", "what the scenario drives (default --netfs)");
  kinds->add_flag_callback("--netfs", [&new_args] { new_args.kind = "netfs"; }, "files on netfs (a World)");
  kinds->add_flag_callback("--fuse", [&new_args] { new_args.kind = "fuse"; }, "a FUSE connection and its server");
  kinds->add_flag_callback("--sim", [&new_args] { new_args.kind = "sim"; }, "the runtime alone: fibers and locks");
  kinds->require_option(0, 1);
  new_scenario->add_option("-o,--out", new_args.out, "file to write (default: the name's last part, .cpp)");

  auto* bugs = app.add_subcommand("bugs", "list injectable historical bugs");
  auto* marks = app.add_subcommand("marks", "list coverage marks, one per line");
  auto* faults = app.add_subcommand("faults", "list swarm fault sites, one per line (for --fault-sites)");

  BenchArgs bench_args;
  auto* bench = app.add_subcommand("bench", "scheduler and engine throughput");
  bench->add_flag("--json", bench_args.json, "one JSON object");
  bench->add_option("--quick", bench_args.quick, "1: short runs (smoke test)");
  bench->add_flag("--runtime-only", bench_args.runtime_only,
                  "the runtime figures and sim/mutex_counter's seeds per CPU second, not every scenario");

  FuseTablesArgs fuse_tables_args;
  auto* fuse_tables = app.add_subcommand("fuse-tables", "docs/fuse.md's policy x scenario and writeback-design tables");
  fuse_tables->add_option("table", fuse_tables_args.which, "all (default), policies or designs");
  fuse_tables->add_option("--seeds", fuse_tables_args.seeds, "seeds per policy and scenario (default 1000)");
  fuse_tables->add_option("--jobs", fuse_tables_args.jobs, "threads (default: cores)");

  DioTableArgs dio_table_args;
  auto* dio_table = app.add_subcommand("dio-table", "docs/dio.md's design x property table, from sweeps of dio/*");
  dio_table->add_option("--seeds", dio_table_args.seeds, "seeds per scenario (default 2000)");
  dio_table->add_option("--jobs", dio_table_args.jobs, "threads (default: cores)");

  if (argc > 1 && argv[1][0] != '-') {
    bool known = false;
    for (const CLI::App* sub : app.get_subcommands({})) known = known || sub->get_name() == argv[1];
    if (!known) {
      fmt::print(stderr, "wbsim: unknown command '{}' (wbsim --help lists them)\n", argv[1]);
      return kUsage;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    for (char& c : what) {
      if (c == '\n') c = ' ';
    }
    fmt::print(stderr, "wbsim: {} (wbsim --help)\n", what);
    return kUsage;
  }

  try {
    if (*list) return cmd_list(list_long, list_scripts);
    if (*run) return cmd_run(run_args);
    if (*replay) return cmd_replay(replay_args);
    if (*draw) return cmd_draw(draw_args);
    if (*trace) return cmd_trace(trace_args);
    if (*explore) return cmd_explore(explore_args);
    if (*evaluate) return cmd_evaluate(evaluate_args);
    if (*shrink) return cmd_shrink(shrink_args);
    if (*sweep) return cmd_sweep(sweep_args);
    if (*merge) return cmd_merge(merge_args);
    if (*fsx) return cmd_fsx(fsx_args);
    if (*new_scenario) return cmd_new_scenario(new_args);
    if (*bugs) return cmd_bugs();
    if (*marks) return cmd_marks();
    if (*faults) return cmd_faults();
    if (*bench) return cmd_bench(bench_args);
    if (*fuse_tables) return cmd_fuse_tables(fuse_tables_args);
    if (*dio_table) return cmd_dio_table(dio_table_args);
  } catch (const UsageError& e) {
    fmt::print(stderr, "wbsim: {}\n", e.what());
    return kUsage;
  } catch (const std::exception& e) {
    fmt::print(stderr, "wbsim: internal error: {}\n", e.what());
    return kHarness;
  }
  return kUsage;
}
