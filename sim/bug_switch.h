//! Bug switches: historical mistakes the model can re-create, off by default
//! and switched on per run (`--bug NAME`), so a sweep can show that a checker
//! finds each one and stays quiet without it.
//!
//!     WBSIM_BUG(kBugX, "netfs-x", "netfs/scenario_*", "refcount", "netfs: Fix x");
//!     if (sim::bug(kBugX)) { ...the old code... } else { ...the fix... }
//!
//! Declared like fault sites (static registration, sorted by name, names
//! unique); the runtime only carries the set a run enables.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace wbsim::sim {

class BugSwitch {
 public:
  BugSwitch(const char* name, const char* scenarios, const char* checker, const char* fix);
  const char* name() const { return name_; }
  const char* scenarios() const { return scenarios_; }  // glob of the scenarios that expose it
  const char* checker() const { return checker_; }      // the checker that must fire
  const char* fix() const { return fix_; }              // title of the kernel fix
  // Position in bug_switches() (switches sorted by name).
  std::uint32_t index() const;

 private:
  friend void seal_bug_switches();
  const char* name_;
  const char* scenarios_;
  const char* checker_;
  const char* fix_;
  mutable std::uint32_t index_ = 0;  // set once, when the registry is sealed
};

#define WBSIM_BUG(var, name, scenarios, checker, fix) \
  inline const ::wbsim::sim::BugSwitch var { name, scenarios, checker, fix }

// Every registered switch, sorted by name.
std::span<const BugSwitch* const> bug_switches();
const BugSwitch* find_bug_switch(std::string_view name);

// Whether the calling thread's run enabled `b`.
bool bug(const BugSwitch& b);

}  // namespace wbsim::sim
