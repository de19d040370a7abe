// The numeric arguments: seeds and counts, and shards from the command line
// or the environment. Apart from the rest of cli/args.cpp so that they can
// be fuzzed alone (tests/fuzz/).
#include "cli/number_args.h"

#include <charconv>
#include <cstdlib>
#include <optional>
#include <string_view>

#include <fmt/format.h>

namespace wbsim::cli {

namespace {

bool parse_u64(std::string_view s, std::uint64_t* out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc{} && end == s.data() + s.size();
}

}  // namespace

std::uint64_t parse_seed(const std::string& flag, const std::string& text) {
  std::uint64_t v = 0;
  if (!parse_u64(text, &v))
    throw UsageError(fmt::format("{} '{}': not a whole number from 0 to 18446744073709551615", flag, text));
  return v;
}

Shard parse_shard(const std::string& text) {
  const std::size_t slash = text.find('/');
  std::uint64_t index = 0, count = 0;
  if (slash == std::string::npos || !parse_u64(std::string_view(text).substr(0, slash), &index) ||
      !parse_u64(std::string_view(text).substr(slash + 1), &count)) {
    throw UsageError(fmt::format("--shard '{}': expected I/N with whole numbers, e.g. 0/4", text));
  }
  if (count == 0 || count > 1'000'000) throw UsageError(fmt::format("--shard '{}': N must be 1 to 1000000", text));
  if (index >= count) throw UsageError(fmt::format("--shard '{}': index {} must be less than count {}", text, index, count));
  return Shard{static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(count)};
}

Shard shard_from_environment_or(const std::string& flag_text) {
  if (!flag_text.empty()) return parse_shard(flag_text);
  auto from_env = [](const char* index_var, const char* count_var) -> std::optional<Shard> {
    const char* i = std::getenv(index_var);
    const char* n = std::getenv(count_var);
    if (i == nullptr || n == nullptr) return std::nullopt;
    try {
      return parse_shard(fmt::format("{}/{}", i, n));
    } catch (const UsageError&) {
      throw UsageError(fmt::format("{}={} {}={}: not a valid shard", index_var, i, count_var, n));
    }
  };
  if (auto s = from_env("GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS")) return *s;
  if (auto s = from_env("JOB_COMPLETION_INDEX", "WBSIM_TOTAL_SHARDS")) return *s;
  return Shard{};
}

}  // namespace wbsim::cli
