// liveness (N13, N14): at the end of the liveness phase (faults healed,
// every file synced, flusher stopped) every folio is clean, unlocked and
// out of writeback, and every request has completed without a pause left
// set. The phase itself runs under a virtual-time budget (the harness's
// watchdog reports a drain that does not finish in time under the same
// name), and a wait nothing can wake ends the phase as a deadlock finding.
#include "checkers/checker.h"
#include "model/world.h"

namespace wbsim::checkers {

WBSIM_CHECKER(kLiveness, "liveness",
              "after healing, writeback drains: folios clean and unlocked, every request complete (N13, N14)");

namespace {

class Liveness final : public Checker {
 public:
  void quiescent(model::World& w) override {
    for (const auto& inode : w.files()) {
      for (const auto& [index, f] : inode->mapping.folios) {
        WBSIM_CHECK(kLiveness, !model::folio_test_dirty(*f) && !model::folio_test_writeback(*f) &&
                                   !model::folio_test_locked(*f),
                    "file {} folio {} (index {}) at quiescence: dirty={} writeback={} locked={}", inode->ino, f->id,
                    index, model::folio_test_dirty(*f), model::folio_test_writeback(*f),
                    model::folio_test_locked(*f));
      }
      for (const auto& r : inode->requests) {
        WBSIM_CHECK(kLiveness, !r->test(model::NETFS_RREQ_IN_PROGRESS),
                    "{} still in progress at quiescence (ALL_QUEUED={}, PAUSE={})", wreq_name(*r),
                    r->test(model::NETFS_RREQ_ALL_QUEUED), r->test(model::NETFS_RREQ_PAUSE));
      }
    }
  }
};

}  // namespace

std::unique_ptr<Checker> make_liveness_checker() { return std::make_unique<Liveness>(); }

// The harness's watchdog reports under the same checker.
const sim::CheckerInfo& liveness_checker() { return kLiveness; }

}  // namespace wbsim::checkers
