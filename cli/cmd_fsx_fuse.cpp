// wbsim fsx --fuse nowb|wb: replay an fsx log on a FUSE file served by the
// 6.18 client and print the requests its server read (the view of
// tests/data/fuse/README.md); with --expected-fuse, compare line for line,
// or, under --faults all, compare the bytes each fsync made durable with a
// run without faults.
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/report.h"
#include "fsx/engine.h"
#include "fsx/fuse_replay.h"
#include "fsx/ops.h"
#include "sim/atomic_file.h"

namespace wbsim::cli {

namespace {

// The lines of an expected stream; a line not in the format is bad input.
std::vector<std::string> parse_stream(const std::string& text, const std::string& path) {
  static const std::regex line_re(R"(^[A-Z_0-9]+ ino=[0-9]+( [^ ]+)* pid=[KA] -> [^ ]+( [^ ]+)*$)");
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!std::regex_match(line, line_re))
      throw UsageError(fmt::format("{}:{}: not a FUSE request line: '{}'", path, n, line));
    lines.push_back(line);
  }
  return lines;
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + '\n';
  return out;
}

int compare_durable(const fsx::FuseRun& run, const std::vector<fsx::Op>& ops, fsx::FuseMode mode,
                    const std::string& reproduce) {
  const fsx::FuseRun plain = fsx::run_fuse(ops, mode, 1, false);
  for (std::size_t i = 0; i < std::max(plain.durable.size(), run.durable.size()); ++i) {
    const std::string want = i < plain.durable.size() ? plain.durable[i] : "(none)";
    const std::string got = i < run.durable.size() ? run.durable[i] : "(none)";
    if (want != got) {
      fmt::print("FAIL fuse: durable point {} differs from the run without faults\n  expected: {}\n  actual:   {}\n"
                 "reproduce: {}\n", i + 1, want, got, reproduce);
      return kViolated;
    }
  }
  fmt::print("PASS: {} fsync points made the same bytes durable as without faults ({} requests, stream not "
             "compared under faults)\n", run.durable.size(), run.log.size());
  return kPass;
}

}  // namespace

int cmd_fsx_fuse(const FsxArgs& args) {
  if (args.fuse != "nowb" && args.fuse != "wb")
    throw UsageError(fmt::format("--fuse: '{}' is not nowb or wb", args.fuse));
  const fsx::FuseMode mode = args.fuse == "wb" ? fsx::FuseMode::wb : fsx::FuseMode::nowb;
  const std::uint64_t seed = parse_seed("--seed", args.seed);
  if (args.faults != "none" && args.faults != "all")
    throw UsageError(fmt::format("--faults: '{}' is not none or all", args.faults));
  const bool faults = args.faults == "all";
  const std::vector<fsx::Op> ops = read_fsx_log(args);
  const std::string expected = args.expected_file.empty() ? "" : read_whole(args.expected_file, "transcript");
  std::vector<std::string> want;
  if (!args.expected_fuse_file.empty())
    want = parse_stream(read_whole(args.expected_fuse_file, "FUSE request stream"), args.expected_fuse_file);

  std::string reproduce = fmt::format("{} fsx {} --fuse {} --seed {} --faults {}", program(), args.ops_file, args.fuse,
                                      seed, args.faults);
  if (!args.expected_fuse_file.empty()) reproduce += " --expected-fuse " + args.expected_fuse_file;
  const fsx::FuseRun run = fsx::run_fuse(ops, mode, seed, faults, "reproduce: " + reproduce);
  if (faults) fmt::print(stderr, "{}\n", run.result.fault_header);
  if (!args.fuse_view_file.empty()) {
    std::string error;
    if (!sim::write_file_atomically(args.fuse_view_file, joined(run.view), &error))
      throw UsageError(fmt::format("--fuse-view: {}", error));
  } else if (want.empty() && expected.empty()) {
    fmt::print("{}", joined(run.view));
  }
  if (run.result.finding) {
    print_finding(stdout, *run.result.finding, run.result);
    fmt::print("reproduce: {}\n", reproduce);
    return kViolated;
  }
  if (!expected.empty()) {
    std::string e, a;
    if (const std::size_t line = fsx::first_difference(expected, run.transcript, &e, &a); line != 0) {
      fmt::print("FAIL transcript: line {} differs from {}\n  expected: {}\n  actual:   {}\nreproduce: {}\n", line,
                 args.expected_file, e, a, reproduce);
      return kViolated;
    }
  }
  if (want.empty()) return kPass;
  if (faults) return compare_durable(run, ops, mode, reproduce);
  for (std::size_t i = 0; i < std::max(want.size(), run.view.size()); ++i) {
    const std::string w = i < want.size() ? want[i] : "(end of stream)";
    const std::string g = i < run.view.size() ? run.view[i] : "(end of stream)";
    if (w == g) continue;
    fmt::print("FAIL fuse: line {} (op {}) differs from {}\n  expected: {}\n  actual:   {}\nreproduce: {}\n", i + 1,
               fsx::fuse_view_op_at(i < want.size() ? want : run.view, i), args.expected_fuse_file, w, g, reproduce);
    return kViolated;
  }
  fmt::print("PASS: {} operations, {} requests equal {} ({})\n", ops.size(), run.view.size(), args.expected_fuse_file,
             args.fuse);
  return kPass;
}

}  // namespace wbsim::cli
