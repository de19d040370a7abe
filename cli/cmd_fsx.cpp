// wbsim fsx: replay an fsx operation log through the engine and print the
// transcript the Linux kernel would print; with --expected, compare.
#include <cstdio>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "fsx/engine.h"
#include "fsx/ops.h"
#include "sim/atomic_file.h"

namespace wbsim::cli {

std::string read_whole(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(fmt::format("cannot read {} '{}'", what, path));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

int cmd_fsx(const FsxArgs& args) {
  if (!args.fuse.empty()) return cmd_fsx_fuse(args);
  if (!args.fuse_view_file.empty() || !args.expected_fuse_file.empty())
    throw UsageError("--fuse-view and --expected-fuse need --fuse nowb|wb");
  const std::uint64_t seed = parse_seed("--seed", args.seed);
  if (args.faults != "none" && args.faults != "all")
    throw UsageError(fmt::format("--faults: '{}' is not none or all", args.faults));
  const bool faults = args.faults == "all";
  const std::string text = read_whole(args.ops_file, "fsx log");
  auto parsed = fsx::parse_ops(text, args.ops_file);
  if (const auto* err = std::get_if<fsx::ParseError>(&parsed)) throw UsageError(to_string(*err));
  const auto& ops = std::get<std::vector<fsx::Op>>(parsed);
  const std::string expected = args.expected_file.empty() ? std::string() : read_whole(args.expected_file, "transcript");

  const std::string reproduce = fmt::format("{} fsx {} --seed {} --faults {}{}", program(), args.ops_file, seed, args.faults,
                                            args.expected_file.empty() ? "" : " --expected " + args.expected_file);
  const fsx::EngineRun run = fsx::run_engine(ops, seed, faults, "reproduce: " + reproduce);
  // The swarm draw goes to stderr: stdout may be the transcript.
  if (faults) fmt::print(stderr, "{}\n", run.result.fault_header);

  if (!args.transcript_file.empty()) {
    std::string error;
    if (!sim::write_file_atomically(args.transcript_file, run.transcript, &error))
      throw UsageError(fmt::format("--transcript: {}", error));
  } else if (expected.empty()) {
    fmt::print("{}", run.transcript);
  }
  if (run.result.finding) {
    print_finding(stdout, *run.result.finding, run.result);
    fmt::print("reproduce: {}\n", reproduce);
    return kViolated;
  }
  if (!expected.empty()) {
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
