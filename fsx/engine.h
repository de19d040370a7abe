//! Replaying an fsx log through the engine: a Target whose file is a netfs
//! file of a simulated World (page cache, writeback, the server), driven by
//! one fiber under the seeded scheduler with every checker watching.
//!
//! With faults on, the seed's swarm draw switches on every fault site the
//! engine survives without losing data (server stalls, short writes,
//! retriable errors, wsize shrink, cache failures and withdrawal, reclaim of
//! clean folios, background writeback kicked at any moment); permanent
//! server errors stay off, since no transcript can be right after one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fsx/ops.h"
#include "sim/run.h"

namespace wbsim::fsx {

struct EngineRun {
  std::string transcript;  // as far as the replay got
  sim::RunResult result;   // finding, trace hash, tape, ...
};

// The scheduler of a replay: a log's run is long (tens of thousands of
// operations), so its budgets are far above a scenario's.
sim::SchedulerConfig replay_config(std::uint64_t seed);

// Policies a replay may take instead of mainline's behaviour (off: the
// engine is mainline, as `wbsim fsx` runs it).
struct EnginePolicy {
  // F24's proposed fix (NetfsInode::insert_range_drops_to_eof): without it,
  // a log whose insert range meets a cached EOF folio ends on the pinned
  // finding, and its transcript is not compared past it.
  bool insert_range_drops_to_eof = false;
};

EngineRun run_engine(const std::vector<Op>& ops, std::uint64_t seed, bool faults, const std::string& crash_context = {},
                     const EnginePolicy& policy = {});

// The first line where `actual` differs from `expected` (1-based), or 0.
std::size_t first_difference(const std::string& expected, const std::string& actual, std::string* expected_line,
                             std::string* actual_line);

}  // namespace wbsim::fsx
