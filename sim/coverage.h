//! Coverage marks (TigerBeetle's `marks`, FoundationDB's CODE_PROBE).
//!
//! A mark is declared once, at namespace scope, on a path that a test should
//! be known to exercise (a rare branch, a recovery path, a race won the
//! unusual way):
//!
//!     WBSIM_MARK(kMarkRequeued, "sim.work_requeued_while_running",
//!                "a work item was queued again while it ran");
//!     if (work.running_) sim::mark(kMarkRequeued);
//!
//! Each hit is counted per run by the scheduler and traced as a MARK line.
//! `wbsim sweep --require-coverage` fails if some registered mark was never
//! hit in the sweep: a path nobody reaches is a path nobody tests.
//!
//! Registration mirrors FaultSite: static initialisation only; the registry
//! is sealed and sorted by name on first use; a duplicate name, or a mark
//! registered after sealing, aborts at start-up.
#pragma once

#include <atomic>
#include <cstdint>
#include <span>

namespace wbsim::sim {

class CoverageMark {
 public:
  // Registers the mark; marks are created by static initialisation only.
  // `scope` is the glob of scenarios expected to reach it: --require-coverage
  // demands the mark only of sweeps that include such a scenario. "-" is a
  // mark no scenario reaches by default (only a --bug switch or an fsx
  // replay does); sweeps list it without demanding it.
  CoverageMark(const char* name, const char* description, const char* scope = "*");
  CoverageMark(const CoverageMark&) = delete;
  CoverageMark& operator=(const CoverageMark&) = delete;
  const char* name() const { return name_; }
  const char* description() const { return description_; }
  const char* scope() const { return scope_; }
  // Position in coverage_marks() (marks sorted by name). Inline: checkers
  // count an evaluation at every look, scheduler blocks included.
  std::uint32_t index() const {
    const std::uint32_t i = index_.load(std::memory_order_acquire);
    if (i != kUnsealed) [[likely]] return i;
    return index_after_seal();
  }

 private:
  friend struct CoverageRegistry;
  const char* name_;
  const char* description_;
  const char* scope_;
  static constexpr std::uint32_t kUnsealed = UINT32_MAX;
  std::uint32_t index_after_seal() const;
  mutable std::atomic<std::uint32_t> index_{kUnsealed};  // set once, when the registry is sealed
};

#define WBSIM_MARK(var, name, description) \
  inline const ::wbsim::sim::CoverageMark var { name, description }
// A mark only scenarios matching `scope` are expected to reach.
#define WBSIM_MARK_IN(var, name, scope, description) \
  inline const ::wbsim::sim::CoverageMark var { name, description, scope }

// Every registered mark, sorted by name. Seals the registry (thread-safe).
std::span<const CoverageMark* const> coverage_marks();

// Records a hit of `m` in the calling thread's simulation: counted by the
// scheduler (Scheduler::mark_hits) and traced as MARK with a = m.index().
void mark(const CoverageMark& m);

}  // namespace wbsim::sim
