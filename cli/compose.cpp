// Composition from the command line and from failure files: `--fault-sites`,
// `--param`, and the `fault-sites:` / `params:` lines a composed run's
// failure file carries.
#include <fmt/format.h>

#include "cli/args.h"
#include "sim/failure_file.h"

namespace wbsim::cli {

std::vector<std::string> parse_fault_sites_flag(const std::string& text) {
  std::string error;
  auto entries = scenarios::parse_fault_sites(text, &error);
  if (!entries) throw UsageError(fmt::format("--fault-sites: {}", error));
  return *entries;
}

namespace {

bool declares(const scenarios::Scenario& s, std::string_view name) {
  for (const scenarios::Param& p : s.options.params) {
    if (name == p.name) return true;
  }
  return false;
}

std::string_view param_name(std::string_view assignment) { return assignment.substr(0, assignment.find('=')); }

}  // namespace

scenarios::Composition compose(const scenarios::Scenario& scenario, const std::vector<std::string>& fault_sites,
                               const std::vector<std::string>& params, bool skip_undeclared) {
  scenarios::Composition c;
  c.fault_sites = fault_sites;
  for (const std::string& a : params) {
    if (skip_undeclared && !declares(scenario, param_name(a))) continue;
    std::string error;
    if (!scenarios::add_param(scenario.options.params, scenario.name, a, c.params, &error))
      throw UsageError(fmt::format("--param {}", error));
  }
  return c;
}

void check_params_declared(const std::vector<const scenarios::Scenario*>& selected,
                           const std::vector<std::string>& params) {
  for (const std::string& a : params) {
    bool found = false;
    for (const scenarios::Scenario* s : selected) found = found || declares(*s, param_name(a));
    if (!found && selected.size() == 1) compose(*selected.front(), {}, {a});  // its own message
    if (!found)
      throw UsageError(fmt::format("--param '{}': no selected scenario declares '{}' (wbsim list --long)", a,
                                   param_name(a)));
  }
}

scenarios::Composition composition_of(const sim::FailureRecord& rec, const scenarios::Scenario& scenario,
                                      const std::string& file) {
  scenarios::Composition c;
  std::string error;
  if (!rec.fault_sites.empty()) {
    auto entries = scenarios::parse_fault_sites(rec.fault_sites, &error);
    if (!entries) throw UsageError(fmt::format("{}:{}: fault-sites: {}", file, rec.fault_sites_line, error));
    c.fault_sites = std::move(*entries);
  }
  std::string_view list = rec.params;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    if (!scenarios::add_param(scenario.options.params, scenario.name, list.substr(0, comma), c.params, &error))
      throw UsageError(fmt::format("{}:{}: params: {}", file, rec.params_line, error));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
  }
  return c;
}

void record_composition(sim::FailureRecord& rec, const scenarios::Composition& c) {
  rec.fault_sites = c.fault_sites_text();
  rec.params = c.params_text();
}

}  // namespace wbsim::cli
