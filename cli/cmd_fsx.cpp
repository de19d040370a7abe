// wbsim fsx: replay an fsx operation log through the engine and print the
// transcript the Linux kernel would print; with --expected, compare.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/output_paths.h"
#include "cli/report.h"
#include "fsx/engine.h"
#include "fsx/ops.h"
#include "sim/atomic_file.h"

namespace wbsim::cli {

std::string read_whole(const std::string& path, const char* what) {
  // A directory opens as a stream that reads nothing: refuse it by name.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw UsageError(fmt::format("{} '{}': is a directory", what, path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(fmt::format("cannot read {} '{}'", what, path));
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) throw UsageError(fmt::format("cannot read {} '{}'", what, path));
  return s.str();
}

namespace {

// The file an operation reaches, up to its end: what the replay and the
// reference file allocate. A log naming terabytes is a bad log, not a
// finding (the allocation would fail as std::bad_alloc inside the run).
std::uint64_t op_reach(const fsx::Op& op) {
  const auto end = [](std::uint64_t at, std::uint64_t len) {
    return at + len < at ? UINT64_MAX : at + len;
  };
  if (op.kind == fsx::OpKind::truncate) return op.length;
  std::uint64_t reach = end(op.offset, op.length);
  if (op.kind == fsx::OpKind::copy_range) reach = std::max(reach, end(op.dest, op.length));
  return reach;
}

void check_op_sizes(const std::vector<fsx::Op>& ops, const std::string& file, std::uint64_t max_bytes) {
  for (const fsx::Op& op : ops) {
    if (op_reach(op) > max_bytes)
      throw UsageError(fmt::format("{}:{}: {} reaches byte {} of the file, past --max-op-bytes {}", file, op.line,
                                   fsx::op_name(op.kind), op_reach(op), max_bytes));
  }
}

}  // namespace

std::vector<fsx::Op> read_fsx_log(const FsxArgs& args) {
  const std::uint64_t max_op_bytes = parse_seed("--max-op-bytes", args.max_op_bytes);
  if (max_op_bytes == 0) throw UsageError("--max-op-bytes 0: must be at least 1");
  auto parsed = fsx::parse_ops(read_whole(args.ops_file, "fsx log"), args.ops_file);
  if (const auto* err = std::get_if<fsx::ParseError>(&parsed)) throw UsageError(to_string(*err));
  auto ops = std::get<std::vector<fsx::Op>>(std::move(parsed));
  if (ops.empty())
    throw UsageError(fmt::format("{}: no operations (the log is empty, or only comments and skip lines)", args.ops_file));
  check_op_sizes(ops, args.ops_file, max_op_bytes);
  return ops;
}

int cmd_fsx(const FsxArgs& args) {
  if (!args.fuse.empty()) return cmd_fsx_fuse(args);
  if (!args.fuse_view_file.empty() || !args.expected_fuse_file.empty())
    throw UsageError("--fuse-view and --expected-fuse need --fuse nowb|wb");
  const std::uint64_t seed = parse_seed("--seed", args.seed);
  if (args.faults != "none" && args.faults != "all")
    throw UsageError(fmt::format("--faults: '{}' is not none or all", args.faults));
  const bool faults = args.faults == "all";
  if (!args.transcript_file.empty()) check_output_file("--transcript", args.transcript_file);
  const std::vector<fsx::Op> ops = read_fsx_log(args);
  const bool compare = !args.expected_file.empty();
  const std::string expected = compare ? read_whole(args.expected_file, "--expected transcript") : std::string();
  if (compare && expected.empty())
    throw UsageError(fmt::format("--expected '{}': the transcript is empty", args.expected_file));

  const std::string reproduce = fmt::format("{} fsx {} --seed {} --faults {}{}{}", program(), args.ops_file, seed,
                                            args.faults, args.past_f24 ? " --past-f24" : "",
                                            args.expected_file.empty() ? "" : " --expected " + args.expected_file);
  const fsx::EngineRun run =
      fsx::run_engine(ops, seed, faults, "reproduce: " + reproduce, {.insert_range_drops_to_eof = args.past_f24});
  // The swarm draw goes to stderr: stdout may be the transcript.
  if (faults) fmt::print(stderr, "{}\n", run.result.fault_header);

  if (!args.transcript_file.empty()) {
    std::string error;
    if (!sim::write_file_atomically(args.transcript_file, run.transcript, &error))
      throw UsageError(fmt::format("--transcript: {}", error));
  } else if (!compare) {
    fmt::print("{}", run.transcript);
  }
  if (run.result.finding) {
    print_finding(stdout, *run.result.finding, run.result);
    fmt::print("reproduce: {}\n", reproduce);
    return kViolated;
  }
  if (compare) {
    std::string want, got;
    if (const std::size_t line = fsx::first_difference(expected, run.transcript, &want, &got); line != 0) {
      fmt::print("FAIL transcript: line {} differs from {}\n  expected: {}\n  actual:   {}\nreproduce: {}\n", line,
                 args.expected_file, want, got, reproduce);
      return kViolated;
    }
    fmt::print("PASS: {} operations, transcript equals {} (seed {}, faults {})\n", ops.size(), args.expected_file,
               seed, args.faults);
  }
  return kPass;
}

}  // namespace wbsim::cli
