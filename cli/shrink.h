//! The shrinker behind `wbsim shrink` and `wbsim sweep --shrink`: a smaller
//! run that fails the same way (same checker, same `where`).
#pragma once

#include "scenarios/composition.h"
#include "sim/run.h"

namespace wbsim::sim {
struct FailureRecord;
}
namespace wbsim::scenarios {
struct Scenario;
}

namespace wbsim::cli {

struct ShrinkOutcome {
  bool reproduced = false;  // the record's tape failed with its checker again
  sim::RunResult before;    // the record's run
  sim::RunResult after;     // the smallest run found (== before when nothing was smaller)
  unsigned runs = 0;        // replays spent
  scenarios::Composition composition;  // after's: the parameters lowered
  // after's scenario: the record's, or for an mm/pressure/* copy whose
  // failure needs no memory pressure, the scenario it copies.
  const scenarios::Scenario* scenario = nullptr;
};

// Shrinks the failure in `rec` (its scenario's run with rec's seed, bugs,
// fault setting and tape, under `composition`, the record's) within
// `max_runs` replays. Deterministic: the same record and budget give the
// same result.
ShrinkOutcome shrink_failure(const scenarios::Scenario& scenario, const sim::FailureRecord& rec,
                             const scenarios::Composition& composition, unsigned max_runs);

}  // namespace wbsim::cli
