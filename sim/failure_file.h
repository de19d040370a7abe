//! Failure files: everything needed to re-run a failure bit for bit.
//!
//! A line-oriented text file (key: value), versioned, ending with a checksum
//! over all lines before it, so a truncated or edited file is rejected with
//! the line at fault. Written atomically: a temporary file in the same
//! directory, fsync, rename; a reader never sees half a file.
//!
//!     wbsim-failure 2
//!     scenario: canary/abba_deadlock
//!     seed: 1
//!     strategy: random
//!     bugs:
//!     faults: on
//!     checker: deadlock
//!     message: no fiber can run and no timer is pending
//!     time-ns: 0
//!     step: 12
//!     trace-hash: 0123456789abcdef
//!     tape: 0100
//!     wbsim: 0.1.0                  (format 2: provenance; format-1 files
//!     commit: 3b31e25d1f0a           without these three lines still parse)
//!     options: faults=on pct-steps=200
//!     script: /home/me/s.cpp        (optional: a scenario from a script,
//!     script-hash: 0123456789abcdef  wbsim run --script; its contents' hash)
//!     fault-sites: +server.stall    (optional: the run's --fault-sites
//!     params: writes=2               and --param, applied again on replay)
//!     checksum: fedcba9876543210
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/strategy.h"
#include "sim/tape.h"
#include "sim/types.h"

namespace wbsim::sim {

struct FailureRecord {
  // Provenance (format 2; a format-1 file reads as "unknown"): the wbsim
  // version and the commit it was built from, and the scenario's options
  // that shape a run (its ScenarioOptions, as `wbsim list --long` has them).
  int format = 2;  // the file's format version
  std::string wbsim_version = "unknown";
  std::string commit = "unknown";
  std::string options;
  // A scenario from a script (wbsim run --script): the script's path and
  // the hash of the contents the failure was found with; empty otherwise,
  // and then not written.
  std::string script;
  std::string script_hash;
  // The run's composition (scenarios/composition.h) as text: "+a,-b" and
  // "name=1,other=2"; empty when none, and then not written. Checked against
  // the registry by whoever replays it; the line numbers say where.
  std::string fault_sites;
  std::string params;
  std::size_t fault_sites_line = 0;
  std::size_t params_line = 0;
  std::string scenario;
  std::uint64_t seed = 0;
  StrategySpec strategy;
  std::vector<std::string> bugs;
  bool faults = true;
  std::string checker;
  std::string message;
  Time time = 0;
  std::uint64_t step = 0;
  std::uint64_t trace_hash = 0;
  Tape tape;
};

std::string format_failure_file(const FailureRecord& record);
// Parses a failure file's text; on error returns nullopt and sets *error to
// "LINE: reason" (1-based line).
std::optional<FailureRecord> parse_failure_file(const std::string& text, std::string* error);

// Writes atomically under `dir` (created if missing); returns the path, or
// nullopt with *error.
std::optional<std::string> write_failure_file(const std::string& dir, const FailureRecord& record,
                                              std::string* error);
// Reads and parses; *error is "PATH:LINE: reason" or "PATH: reason".
std::optional<FailureRecord> read_failure_file(const std::string& path, std::string* error);

}  // namespace wbsim::sim
