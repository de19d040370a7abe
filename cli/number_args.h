//! The command line's exit codes, its one error type, and the numeric
//! arguments: seeds and counts, and shards. Depends on nothing of the
//! simulation, so that the parsers can be fuzzed alone (tests/fuzz/).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace wbsim::cli {

enum ExitCode : int { kPass = 0, kViolated = 1, kUsage = 2, kHarness = 3 };

// Bad input: one line naming the culprit, exit code 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A whole number from 0 to 2^64-1, or a UsageError naming `flag`.
std::uint64_t parse_seed(const std::string& flag, const std::string& text);

struct Shard {
  std::uint32_t index = 0;
  std::uint32_t count = 1;
};
Shard parse_shard(const std::string& text);
// --shard if given, else GTEST_SHARD_INDEX/GTEST_TOTAL_SHARDS, else
// JOB_COMPLETION_INDEX with WBSIM_TOTAL_SHARDS (Kubernetes Indexed Jobs).
Shard shard_from_environment_or(const std::string& flag_text);

}  // namespace wbsim::cli
