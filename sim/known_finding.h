//! Pinned findings: paths of mainline that the model follows as mainline has
//! them and that break a property (docs/findings.md).
//!
//!     WBSIM_KNOWN_FINDING(kFindingX, "netfs-x", "request-state", "netfs/x_*",
//!                         "what mainline does there");
//!     if (...the mainline path...) sim::known_finding_reached(kFindingX);
//!
//! Reaching one is a coverage mark ("finding.NAME", scoped to the scenarios
//! that pin it). The scenario written for a finding expects its checker; any
//! other scenario whose run took that path before one of the finding's
//! checkers fired is counted by a sweep as "reached a pinned finding", shown
//! and summed, not as a failing seed, the way a crash dashboard files a new
//! report of a known bug under it. `wbsim run` still fails such a run.
#pragma once

#include <span>
#include <string_view>
#include <vector>

#include "sim/coverage.h"

namespace wbsim::sim {

class KnownFinding {
 public:
  KnownFinding(const char* mark_name, const char* name, const char* checkers, const char* scope,
               const char* description);
  KnownFinding(const KnownFinding&) = delete;
  KnownFinding& operator=(const KnownFinding&) = delete;
  const char* name() const { return name_; }
  const char* checkers() const { return checkers_; }  // comma-separated
  const CoverageMark& mark() const { return mark_; }
  bool explains(std::string_view checker) const;

 private:
  const char* name_;
  const char* checkers_;
  CoverageMark mark_;
};

#define WBSIM_KNOWN_FINDING(var, name, checkers, scope, description) \
  inline const ::wbsim::sim::KnownFinding var { "finding." name, name, checkers, scope, description }

// Every registered finding, in registration order (read-only after start-up).
std::span<const KnownFinding* const> known_findings();

// The calling thread's simulation took the finding's path.
inline void known_finding_reached(const KnownFinding& f) { mark(f.mark()); }

// The pinned finding that explains a run's failure by `checker`, given the
// run's mark hits; null if none does.
const KnownFinding* explaining_finding(std::string_view checker, const std::vector<std::uint64_t>& mark_hits);

}  // namespace wbsim::sim
