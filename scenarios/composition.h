//! Composition without recompiling: what a user lays over a scenario from
//! the command line or a spec file (FoundationDB's test specs combine
//! workloads with fault workloads the same way).
//!
//!   --fault-sites +server.stall,-cache.*   swarm sites switched on or off
//!                                          for every seed (globs; later
//!                                          entries win)
//!   --param writes=3                       a value for one of the
//!                                          scenario's declared parameters
//!
//! A scenario declares its parameters — the sizes, counts and offsets of its
//! workload — with a default and a range; its body reads them with
//! `s.param("name")`. The shrinker lowers them toward their minimum, so a
//! failure found with six writes can come back with one. A failure file
//! records the composition its run had, and replay applies it again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wbsim::sim {
class FaultSite;
}

namespace wbsim::scenarios {

// One knob of a scenario: `value` is the default, [min, max] the range a
// user may set and the shrinker may lower within.
struct Param {
  const char* name = "";
  std::int64_t value = 0;
  std::int64_t min = 0;
  std::int64_t max = 0;
  const char* what = "";  // one line for `wbsim list --long`
};

struct Composition {
  // "+glob" or "-glob" over fault site names, in the order given.
  std::vector<std::string> fault_sites;
  // name -> value, in the order given (a name at most once).
  std::vector<std::pair<std::string, std::int64_t>> params;

  bool empty() const { return fault_sites.empty() && params.empty(); }
  std::string fault_sites_text() const;  // "+a,-b.*"
  std::string params_text() const;       // "writes=3,size=4096"
  // " --fault-sites ... --param ..." for a reproduce line ("" when empty).
  std::string command_line() const;
  // The value given for `name`, if any.
  std::optional<std::int64_t> param(std::string_view name) const;
};

// Parses "+a,-b.*" (whitespace around entries allowed); each entry needs a
// sign and must match some registered fault site. nullopt with *error
// naming the entry ("'x' (entry 2): ...").
std::optional<std::vector<std::string>> parse_fault_sites(std::string_view text, std::string* error);

// Checks one `name=value` against the scenario's declared parameters and
// appends it to `out`; *error names the culprit and what would be right.
bool add_param(const std::vector<Param>& declared, const std::string& scenario, std::string_view assignment,
               std::vector<std::pair<std::string, std::int64_t>>& out, std::string* error);
// The same for one parsed value (a spec file's).
bool add_param_value(const std::vector<Param>& declared, const std::string& scenario, std::string_view name,
                     std::int64_t value, std::vector<std::pair<std::string, std::int64_t>>& out,
                     std::string* error);

// The override of every fault site by index (fault_sites() order): +1 on,
// -1 off, 0 as the swarm draws it; empty when `entries` is.
std::vector<std::int8_t> fault_site_modes(const std::vector<std::string>& entries);

// "writes=6 [1..16] writes before the fsync; size=..." for `wbsim list --long`.
std::string describe_params(const std::vector<Param>& declared);

}  // namespace wbsim::scenarios
