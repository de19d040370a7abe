#include "scenarios/composition.h"

#include <charconv>

#include <fmt/format.h>

#include "scenarios/registry.h"
#include "sim/fault.h"

namespace wbsim::scenarios {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool matches_some_site(std::string_view glob) {
  for (const sim::FaultSite* s : sim::fault_sites()) {
    if (glob_match(glob, s->name())) return true;
  }
  return false;
}

std::string param_names(const std::vector<Param>& declared) {
  if (declared.empty()) return "it declares none";
  std::string out = "its parameters: ";
  for (std::size_t i = 0; i < declared.size(); ++i) out += fmt::format("{}{}", i == 0 ? "" : ", ", declared[i].name);
  return out;
}

}  // namespace

std::string Composition::fault_sites_text() const {
  std::string out;
  for (const std::string& e : fault_sites) out += (out.empty() ? "" : ",") + e;
  return out;
}

std::string Composition::params_text() const {
  std::string out;
  for (const auto& [name, value] : params) out += fmt::format("{}{}={}", out.empty() ? "" : ",", name, value);
  return out;
}

std::string Composition::command_line() const {
  std::string out;
  if (!fault_sites.empty()) out += fmt::format(" --fault-sites {}", fault_sites_text());
  for (const auto& [name, value] : params) out += fmt::format(" --param {}={}", name, value);
  return out;
}

std::optional<std::int64_t> Composition::param(std::string_view name) const {
  for (const auto& [n, v] : params) {
    if (n == name) return v;
  }
  return std::nullopt;
}

std::optional<std::vector<std::string>> parse_fault_sites(std::string_view text, std::string* error) {
  std::vector<std::string> out;
  std::size_t entry = 0;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view e = trim(text.substr(0, comma));
    ++entry;
    if (e.empty()) {
      *error = fmt::format("entry {} is empty (expected +SITE or -SITE, globs allowed)", entry);
      return std::nullopt;
    }
    if (e.front() != '+' && e.front() != '-') {
      *error = fmt::format("'{}' (entry {}): needs + (on for every seed) or - (off)", e, entry);
      return std::nullopt;
    }
    if (e.size() == 1 || !matches_some_site(e.substr(1))) {
      *error = fmt::format("'{}' (entry {}): matches no fault site (wbsim faults lists them)", e.substr(1), entry);
      return std::nullopt;
    }
    out.emplace_back(e);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

bool add_param_value(const std::vector<Param>& declared, const std::string& scenario, std::string_view name,
                     std::int64_t value, std::vector<std::pair<std::string, std::int64_t>>& out,
                     std::string* error) {
  const Param* p = nullptr;
  for (const Param& d : declared) {
    if (name == d.name) p = &d;
  }
  if (p == nullptr) {
    *error = fmt::format("'{}': scenario {} has no such parameter ({})", name, scenario, param_names(declared));
    return false;
  }
  if (value < p->min || value > p->max) {
    *error = fmt::format("'{}={}': out of range for {} (from {} to {}, default {})", name, value, scenario, p->min,
                         p->max, p->value);
    return false;
  }
  for (const auto& [n, v] : out) {
    if (n == name) {
      *error = fmt::format("'{}': given twice", name);
      return false;
    }
  }
  out.emplace_back(std::string(name), value);
  return true;
}

bool add_param(const std::vector<Param>& declared, const std::string& scenario, std::string_view assignment,
               std::vector<std::pair<std::string, std::int64_t>>& out, std::string* error) {
  const std::size_t eq = assignment.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    *error = fmt::format("'{}': expected NAME=VALUE", assignment);
    return false;
  }
  const std::string_view name = assignment.substr(0, eq);
  const std::string_view text = assignment.substr(eq + 1);
  std::int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || ptr != text.data() + text.size()) {
    *error = fmt::format("'{}': '{}' is not a whole number", assignment, text);
    return false;
  }
  return add_param_value(declared, scenario, name, value, out, error);
}

std::vector<std::int8_t> fault_site_modes(const std::vector<std::string>& entries) {
  if (entries.empty()) return {};
  const auto sites = sim::fault_sites();
  std::vector<std::int8_t> modes(sites.size(), 0);
  for (const std::string& e : entries) {
    const std::string_view glob = std::string_view(e).substr(1);
    for (std::size_t i = 0; i < sites.size(); ++i) {
      if (glob_match(glob, sites[i]->name())) modes[i] = e.front() == '+' ? 1 : -1;
    }
  }
  return modes;
}

std::string describe_params(const std::vector<Param>& declared) {
  std::string out;
  for (const Param& p : declared) {
    out += fmt::format("{}{}={} [{}..{}] {}", out.empty() ? "" : "; ", p.name, p.value, p.min, p.max, p.what);
  }
  return out;
}

}  // namespace wbsim::scenarios
