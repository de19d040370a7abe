#include "cli/args.h"

#include <charconv>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>

#include "model/dio/local.h"
#include "scenarios/bugs.h"
#include "sim/atomic_file.h"

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

sim::StrategySpec parse_strategy(const std::string& text) {
  std::string error;
  auto spec = sim::StrategySpec::parse(text, &error);
  if (!spec) throw UsageError(fmt::format("--strategy {}", error));
  return *spec;
}

void check_bugs(const std::vector<std::string>& bugs) {
  for (const std::string& b : bugs) {
    if (scenarios::find_bug(b) == nullptr)
      throw UsageError(fmt::format("--bug '{}': unknown bug (wbsim bugs lists them)", b));
  }
}

const scenarios::Scenario& lookup_scenario(const std::string& name) {
  const scenarios::Scenario* s = scenarios::find_scenario(name);
  if (s == nullptr) throw UsageError(fmt::format("unknown scenario '{}' (wbsim list shows them)", name));
  return *s;
}

std::string apply_dio_policy(const std::string& scenario, const std::string& policy) {
  if (policy.empty()) return scenario;
  if (!model::parse_dio_policy(policy)) {
    std::string names;
    for (model::DioPolicy p : model::kDioPolicies) names += fmt::format("{}{}", names.empty() ? "" : ", ", model::dio_policy_name(p));
    throw UsageError(fmt::format("--dio-policy '{}': unknown design (one of {})", policy, names));
  }
  const std::string_view kDio = "dio/";
  const std::size_t slash = scenario.find('/', kDio.size());
  if (scenario.compare(0, kDio.size(), kDio) != 0 || slash == std::string::npos)
    throw UsageError(fmt::format("--dio-policy '{}': scenario '{}' has no local files (only dio/DESIGN/NAME do)", policy, scenario));
  return fmt::format("dio/{}{}", policy, scenario.substr(slash));
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

namespace {
std::string& program_storage() {
  static std::string path = "wbsim";
  return path;
}
}  // namespace

void set_program(std::string argv0) {
  if (!argv0.empty()) program_storage() = std::move(argv0);
}

const std::string& program() { return program_storage(); }

std::string reproduce_command(const std::string& scenario, std::uint64_t seed, const sim::StrategySpec& strategy,
                              const std::vector<std::string>& bugs, const scenarios::Composition& composition) {
  // A script's scenario is run again by loading the script again.
  const scenarios::Scenario* s = scenarios::find_scenario(scenario);
  const std::string script = s != nullptr && !s->script.empty() ? fmt::format("--script {} ", s->script) : "";
  std::string cmd = fmt::format("{} run {}{} --seed {}", program(), script, scenario, seed);
  if (strategy.kind != sim::StrategySpec::Kind::random) cmd += fmt::format(" --strategy {}", strategy.to_string());
  for (const std::string& b : bugs) cmd += fmt::format(" --bug {}", b);
  return cmd + composition.command_line();
}

void write_file_atomically(const std::string& path, const std::string& text) {
  std::string error;
  if (!sim::write_file_atomically(path, text, &error)) throw UsageError(error);
}

}  // namespace wbsim::cli
