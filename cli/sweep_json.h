// The JSON report of a sweep (`wbsim sweep --json`), which is also what
// `wbsim merge` reads from each shard and writes for their union.
//
// One object: the sweep's identity (scenarios, strategy, seeds, seed base,
// bugs, --require-coverage, shard, wbsim version and commit), its totals,
// one record per scenario with every aggregate the verdicts are made from
// (seeds, failing seeds, expected hits, steps, pinned findings reached,
// coverage marks by name), one record per failure group (with the group's
// shape, so that groups of different shards can be joined, and the
// provenance of a failure file), the marks over every scenario and a
// determinism leak if one was seen. Read back, malformed input is a
// UsageError naming the file and the place in it.
#pragma once

#include <string>

#include "cli/sweep_report.h"

namespace wbsim::cli {

std::string sweep_json(const SweepOutcome& o);
void write_sweep_json(const std::string& path, const SweepOutcome& o);
SweepOutcome read_sweep_json(const std::string& path);

}  // namespace wbsim::cli
