//! Property checkers as the runtime knows them: a stable name, what the
//! checker asserts, and how often it was evaluated.
//!
//!     WBSIM_CHECKER(kFolioState, "folio-state", "legal folio flag transitions (N3-N6, W1-W5)");
//!     sim::evaluated(kFolioState);                    // each time it looks
//!     WBSIM_CHECK(kFolioState, cond, "folio {} ...", ...);  // counts, and fails with its name
//!
//! A checker's evaluations are counted through a coverage mark named
//! `checker.NAME`, so a sweep adds them up like any mark, prints them, and
//! `--require-coverage` fails on a checker that never ran: a checker that
//! never looks cannot fire, and a sweep must show that.
#pragma once

#include "sim/assert.h"
#include "sim/coverage.h"
#include "sim/scheduler.h"

namespace wbsim::sim {

class CheckerInfo {
 public:
  CheckerInfo(const char* name, const char* mark_name, const char* description, const char* scope = "*")
      : name_(name), mark_(mark_name, description, scope) {}
  const char* name() const { return name_; }
  const CoverageMark& mark() const { return mark_; }

 private:
  const char* name_;
  CoverageMark mark_;
};

#define WBSIM_CHECKER(var, name, description) \
  inline const ::wbsim::sim::CheckerInfo var { name, "checker." name, description }
// A checker only scenarios matching `scope` are expected to evaluate.
#define WBSIM_CHECKER_IN(var, name, scope, description) \
  inline const ::wbsim::sim::CheckerInfo var { name, "checker." name, description, scope }

// Counts one evaluation in the calling thread's simulation (no trace line:
// checkers look far more often than anything else happens).
inline void evaluated(const CheckerInfo& c) {
  if (Scheduler* s = Scheduler::current_or_null()) s->hit_mark(c.mark().index());
}

// Whether the calling thread's run keeps `c` off.
inline bool checker_off(const CheckerInfo& c) {
  Scheduler* s = Scheduler::current_or_null();
  return s != nullptr && s->checker_off(c.mark().index());
}

}  // namespace wbsim::sim

// WBSIM_CHECK(kChecker, cond, fmt, ...): one evaluation; a finding under the
// checker's name when cond is false.
#define WBSIM_CHECK(checker, cond, ...)                                                   \
  do {                                                                                    \
    if (!::wbsim::sim::checker_off(checker)) {                                            \
      ::wbsim::sim::evaluated(checker);                                                   \
      SIM_CHECK((checker).name(), cond, __VA_ARGS__);                                     \
    }                                                                                     \
  } while (0)
