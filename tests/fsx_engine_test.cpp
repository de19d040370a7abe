// Every kernel fsx log replayed through the engine prints the kernel's
// transcript byte for byte: with no faults, and under the swarm fault draw
// of seeds 1 to 50, all in one process (one ctest per log).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fsx/engine.h"
#include "fsx/ops.h"

#include <fmt/format.h>

namespace wbsim {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> log_names() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(WBSIM_FSX_DATA_DIR)) {
    if (e.path().extension() == ".fsxops") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

class FsxEngine : public ::testing::TestWithParam<std::string> {};

TEST_P(FsxEngine, prints_the_kernel_transcript_without_faults_and_under_seeds_1_to_50) {
  const std::filesystem::path dir = WBSIM_FSX_DATA_DIR;
  const std::string name = GetParam();
  const std::string ops_file = (dir / (name + ".fsxops")).string();
  auto parsed = fsx::parse_ops(slurp(ops_file), ops_file);
  ASSERT_TRUE(std::holds_alternative<std::vector<fsx::Op>>(parsed)) << fsx::to_string(std::get<fsx::ParseError>(parsed));
  const auto& ops = std::get<std::vector<fsx::Op>>(parsed);
  const std::string expected = slurp(dir / (name + ".expected"));
  for (std::uint64_t seed = 0; seed <= 50; ++seed) {
    const bool faults = seed > 0;  // seed 0: the run without faults (its seed is 1)
    const std::uint64_t s = faults ? seed : 1;
    const fsx::EngineRun run = fsx::run_engine(ops, s, faults);
    const std::string reproduce =
        fmt::format("wbsim fsx {} --seed {} --faults {} --expected {}.expected", ops_file, s, faults ? "all" : "none",
                    (dir / name).string());
    ASSERT_FALSE(run.result.finding.has_value())
        << run.result.finding->checker << ": " << run.result.finding->message << "\nreproduce: " << reproduce;
    std::string want, got;
    const std::size_t line = fsx::first_difference(expected, run.transcript, &want, &got);
    ASSERT_EQ(line, 0u) << "line " << line << "\n  expected: " << want << "\n  actual:   " << got
                        << "\nreproduce: " << reproduce;
  }
}

INSTANTIATE_TEST_SUITE_P(Logs, FsxEngine, ::testing::ValuesIn(log_names()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

}  // namespace
}  // namespace wbsim
