//! The sweep driver: targets × seeds over a pool of OS threads, one
//! simulation per thread at a time, with a determinism check.
//!
//! Results are collected in task order, so a sweep's verdicts and counts do
//! not depend on which thread ran what. About one seed in `recheck_every` is
//! run twice and the trace hashes compared (FoundationDB's unseed check); on
//! a mismatch the seed is run twice more with full traces to name the first
//! line that differs. The wall clock is read here, and only here, for
//! --time-limit and for throughput figures.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <map>
#include <string>
#include <vector>

#include "sim/known_finding.h"
#include "sim/run.h"

namespace wbsim::sim {

enum class Expect : std::uint8_t {
  pass,            // no checker may fire
  fail_always,     // the named checker must fire on every seed (canaries)
  fail_sometimes,  // the named checker must fire on some seed; no other may
};

struct SweepTarget {
  std::string name;
  Expect expect = Expect::pass;
  std::string expect_checker;
  // The pinned finding this scenario was written for (its scope names the
  // scenario and it explains expect_checker): an expected failure counts
  // only when the run took the finding's path, so the scenario failing
  // for another reason under the same checker is not taken for it.
  const KnownFinding* pinned = nullptr;
  // Runs one seed; `keep_full_trace` for determinism diffs.
  std::function<RunResult(std::uint64_t seed, bool keep_full_trace)> run;
  // Optional: runs several seeds (results in their order) as `run` would,
  // in one go. A worker process's target has one (sim/sweep_isolation.h):
  // a batch is one round trip to the worker instead of one per seed, which
  // for a short run cost as much as the run. run_sweep then claims seeds in
  // batches of SweepOptions::batch_seeds.
  std::function<std::vector<RunResult>(const std::vector<std::uint64_t>& seeds)> run_batch;
};

struct SweepOptions {
  std::uint64_t seeds = 1000;
  std::uint64_t seed_base = 1;
  std::uint32_t shard_index = 0;
  std::uint32_t shard_count = 1;
  unsigned jobs = 1;
  double time_limit_seconds = 0;    // 0: none
  std::uint32_t recheck_every = 20; // 0: no determinism check
  std::size_t keep_failures = 16;   // failure groups per target whose shortest run is kept, for files
  std::uint32_t batch_seeds = 16;   // seeds a thread claims at once for a target with run_batch
};

// The seeds of one shard: seed_base .. seed_base+seeds-1 with
// seed % shard_count == shard_index, in increasing order. Computed, never
// listed, so a sweep of 2^40 seeds costs no memory for them.
struct ShardSeeds {
  std::uint64_t first = 0;   // the shard's lowest seed (meaningless when count == 0)
  std::uint64_t stride = 1;  // shard_count
  std::uint64_t count = 0;
  std::uint64_t operator[](std::uint64_t i) const;
};
ShardSeeds shard_seeds(const SweepOptions& options);

struct SeedFailure {
  std::uint64_t seed;
  RunResult result;
  // The failure's group: its seeds and the first of them (this one is the
  // group's shortest run, by steps).
  std::uint64_t group_seeds = 1;
  std::uint64_t group_first_seed = 0;
};

// A failure's group: the same checker, the same `where`, and the same
// message once its numbers are masked ("folio 12 at 0x3000" and "folio 7
// at 0x1000" are one shape).
std::string failure_shape(const RunResult& r);

struct TargetSummary {
  std::string name;
  Expect expect = Expect::pass;
  std::string expect_checker;
  std::uint64_t seeds_run = 0;
  std::uint64_t unexpected = 0;  // seeds that broke the expectation
  std::uint64_t expected_hits = 0;
  std::uint64_t steps = 0;
  std::vector<std::uint64_t> mark_hits;  // coverage mark hits over its seeds, by mark index
  double busy_seconds = 0;
  bool passed = true;
  // Only the union of every shard can judge it (a checker expected on some
  // seed fired on none of this shard's): `passed` holds, `verdict` says so.
  bool deferred = false;
  // Seeds whose failure a pinned finding explains (sim/known_finding.h):
  // not failing seeds; by finding name, with the first such seed.
  std::uint64_t known = 0;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> known_by_finding;  // name -> (seeds, first seed)
  std::string verdict;  // "ok", or why not
  // One per failure group (by first seed): its shortest run, and how many
  // seeds share it.
  std::vector<SeedFailure> failures;
};

struct DeterminismMismatch {
  std::string target;
  std::uint64_t seed;
  std::uint64_t first_hash;
  std::uint64_t second_hash;
  std::string first_difference;  // "line N: <a> | <b>", or what is known
};

struct SweepReport {
  std::vector<TargetSummary> targets;
  std::optional<DeterminismMismatch> mismatch;
  bool time_limited = false;
  std::uint64_t rechecked = 0;
  double wall_seconds = 0;
  std::vector<std::uint64_t> mark_hits;  // sum over every target, by mark index
};

struct SweepCallbacks {
  std::function<void(std::uint64_t done, std::uint64_t total)> progress;  // main thread, ~10/s
  std::function<void(const TargetSummary&)> target_done;                  // main thread, in order
};

// Sets `passed`, `deferred` and `verdict` from the aggregates and the
// expectation. `whole_sweep`: the aggregates cover every seed of the sweep
// (an unsharded sweep, or the merge of every shard); otherwise a verdict
// that only every seed together can give is deferred.
void judge_target(TargetSummary& s, bool whole_sweep);

SweepReport run_sweep(const std::vector<SweepTarget>& targets, const SweepOptions& options,
                      const SweepCallbacks& callbacks);

}  // namespace wbsim::sim
