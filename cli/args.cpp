#include "cli/args.h"

#include <cstdlib>
#include <optional>

#include <fmt/format.h>

#include "model/dio/local.h"
#include "scenarios/bugs.h"
#include "sim/atomic_file.h"

namespace wbsim::cli {

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

ReproduceCommand::ReproduceCommand(const std::string& scenario, const sim::StrategySpec& strategy,
                                   const std::vector<std::string>& bugs, const scenarios::Composition& composition) {
  // A script's scenario is run again by loading the script again.
  const scenarios::Scenario* s = scenarios::find_scenario(scenario);
  const std::string script = s != nullptr && !s->script.empty() ? fmt::format("--script {} ", s->script) : "";
  head_ = fmt::format("{} run {}{} --seed ", program(), script, scenario);
  if (strategy.kind != sim::StrategySpec::Kind::random) tail_ += fmt::format(" --strategy {}", strategy.to_string());
  for (const std::string& b : bugs) tail_ += fmt::format(" --bug {}", b);
  tail_ += composition.command_line();
}

std::string ReproduceCommand::operator()(std::uint64_t seed) const {
  char digits[24];
  const auto end = fmt::format_to(digits, "{}", seed);
  std::string cmd;
  cmd.reserve(head_.size() + static_cast<std::size_t>(end - digits) + tail_.size());
  cmd.append(head_).append(digits, end).append(tail_);
  return cmd;
}

std::string reproduce_command(const std::string& scenario, std::uint64_t seed, const sim::StrategySpec& strategy,
                              const std::vector<std::string>& bugs, const scenarios::Composition& composition) {
  return ReproduceCommand(scenario, strategy, bugs, composition)(seed);
}

void write_file_atomically(const std::string& path, const std::string& text) {
  std::string error;
  if (!sim::write_file_atomically(path, text, &error)) throw UsageError(error);
}

}  // namespace wbsim::cli
