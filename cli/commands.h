//! The `wbsim` subcommands. Each returns the process exit code (args.h) or
//! throws UsageError for bad input.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/run.h"

namespace wbsim::sim {
struct FailureRecord;
}
namespace wbsim::fsx {
struct Op;
}
namespace wbsim::scenarios {
struct Scenario;
}

namespace wbsim::cli {

// Replays `wbsim shrink` spends by default, and `wbsim sweep --shrink` on
// each failure group.
inline constexpr unsigned kShrinkRuns = 4000;

// The wbsim version, the commit the binary was built from and the
// scenario's options, recorded in every failure file (cmd_run.cpp).
void fill_provenance(sim::FailureRecord& rec, const scenarios::Scenario& scenario);
// Copies a failing run's finding, trace hash and tape into `rec`, so that
// the record replays that run (cmd_run.cpp).
void fill_failure(sim::FailureRecord& rec, const sim::RunResult& r);

struct RunArgs {
  std::string scenario;
  std::vector<std::string> scripts;  // --script FILE: scenarios compiled at run time (cli/script.h)
  std::string seed = "1";
  std::string strategy = "random";
  std::vector<std::string> bugs;
  std::string trace_file;
  std::string chrome_trace_file;  // the run as Chrome trace-event JSON
  bool trace_hash = false;
  std::string out_dir = "wbsim-failures";
  std::string dio_policy;  // dio/DESIGN/NAME runs as dio/THIS/NAME
  std::string fault_sites;          // --fault-sites +a,-b.* (scenarios/composition.h)
  std::vector<std::string> params;  // --param NAME=VALUE
};
int cmd_run(const RunArgs& args);

struct DioTableArgs {
  std::string seeds = "2000";
  unsigned jobs = 0;
};
int cmd_dio_table(const DioTableArgs& args);

struct ReplayArgs {
  std::string file;
  std::string trace_file;
  std::string chrome_trace_file;
  bool trace_hash = false;
  // After a divergence, finish the run under the seeded strategy and give
  // its verdict instead of stopping at the divergence (exit 3).
  bool continue_run = false;
  // Replaces the file's bug switches (as after a fix: `--bugs ''`).
  std::optional<std::vector<std::string>> bugs;
};
int cmd_replay(const ReplayArgs& args);

// Replays a failure file as `wbsim replay` does (its bad input a
// UsageError), keeping the full trace; for the tools that draw a run.
struct ReplayedFile {
  std::string scenario;
  std::uint64_t seed = 0;
  sim::RunResult result;
};
ReplayedFile replay_with_full_trace(const std::string& file);

struct DrawArgs {
  std::string file;
  std::uint64_t step = 0;  // 0: the end of the run
  std::string svg_file;
};
int cmd_draw(const DrawArgs& args);

struct ExploreArgs {
  std::string scenario;
  unsigned preemption_bound = 2;
  std::uint64_t max_schedules = 100000;
  bool no_reduction = false;  // every schedule, even where sleep sets apply
  std::vector<std::string> params;  // --param NAME=VALUE
  std::string out_dir = "wbsim-failures";
};
int cmd_explore(const ExploreArgs& args);

struct EvaluateArgs {
  std::string base_seeds = "20";
  std::string cap = "2000";        // runs per seeded search
  std::string explore_cap = "1000";  // schedules per scenario for explore
  std::vector<std::string> bugs;   // default: every `wbsim bugs` line
  std::string jobs;                // default: hardware threads
  std::string out;                 // default: standard output
  bool progress = false;
};
int cmd_evaluate(const EvaluateArgs& args);

struct TraceArgs {
  std::string file;
  std::string filter;  // fiber=NAME,obj=TEXT,kind=SYMBOL
};
int cmd_trace(const TraceArgs& args);

struct ShrinkArgs {
  std::string file;
  std::string out;            // default: FILE with .shrunk.wbsim
  unsigned max_runs = kShrinkRuns;  // replays to spend
};
int cmd_shrink(const ShrinkArgs& args);

struct SweepArgs {
  std::vector<std::string> scenario_globs;  // default: every scenario, or the scripts' if --script
  std::vector<std::string> scripts;
  std::string seeds = "1000";
  std::string seed_base = "1";
  std::string jobs;  // default: hardware threads
  std::string shard;
  std::string strategy = "random";
  std::vector<std::string> bugs;
  std::string out_dir = "wbsim-failures";
  std::string junit_file;
  std::string json_file;
  std::string time_limit;
  bool require_coverage = false;  // fail if a registered coverage mark was never hit
  bool shrink = false;            // shrink each failure group's kept run before writing its file
  std::string fault_sites;          // --fault-sites +a,-b.* (scenarios/composition.h)
  std::vector<std::string> params;  // --param NAME=VALUE, for the scenarios that declare NAME
  std::string spec;                 // --spec FILE.toml: the sweeps it names (cli/spec.cpp)
  bool in_process = false;        // run the seeds in this process, not in worker processes
};
int cmd_sweep(const SweepArgs& args);
// One sweep of `args` (no --spec); `script_names`, the scenarios the loaded
// scripts registered, are the selection when args has no --scenario.
int run_one_sweep(const SweepArgs& args, const std::vector<std::string>& script_names);
// `wbsim sweep --spec FILE.toml` (cli/spec.cpp): the file's sweeps in order,
// each with the command line's other flags as defaults.
int run_spec(const SweepArgs& args);

struct MergeArgs {
  std::string out;                  // the union's JSON report
  std::vector<std::string> shards;  // each shard's `sweep --json` report
  std::string junit_file;
};
int cmd_merge(const MergeArgs& args);

int cmd_list(bool long_form, const std::vector<std::string>& scripts);

struct NewScenarioArgs {
  std::string name;
  std::string kind = "netfs";  // netfs | fuse | sim
  std::string out;             // default: the name's last part, .cpp
};
int cmd_new_scenario(const NewScenarioArgs& args);

struct FsxArgs {
  std::string ops_file;
  std::string seed = "1";
  std::string faults = "none";
  std::string transcript_file;  // default: standard output
  std::string expected_file;    // compare with this transcript
  std::string fuse;             // "" (netfs), nowb or wb: the FUSE 6.18 client
  std::string fuse_view_file;   // write the request stream there
  std::string expected_fuse_file;  // compare with this request stream
  std::string max_op_bytes = "1073741824";  // an operation reaching past this byte is a bad log
  bool past_f24 = false;  // F24's proposed fix (fsx::EnginePolicy::insert_range_drops_to_eof)
};
int cmd_fsx(const FsxArgs& args);
int cmd_fsx_fuse(const FsxArgs& args);
// The whole of a file named on the command line, or a UsageError naming it.
std::string read_whole(const std::string& path, const char* what);
// An fsx log's operations, or a UsageError: a parse error, no operations, an
// operation reaching past byte `--max-op-bytes` (both replays, cmd_fsx.cpp).
std::vector<fsx::Op> read_fsx_log(const FsxArgs& args);


struct BenchArgs {
  bool json = false;
  std::string quick;  // "" or "1": shorter runs, for tests
  bool runtime_only = false;  // the runtime and sim/mutex_counter, no scenario table
};
int cmd_bench(const BenchArgs& args);

struct FuseTablesArgs {
  std::string which = "all";  // all | policies | designs
  std::string seeds = "1000";
  std::string jobs;
};
int cmd_fuse_tables(const FuseTablesArgs& args);

}  // namespace wbsim::cli
