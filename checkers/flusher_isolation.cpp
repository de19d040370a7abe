#include "checkers/flusher_isolation.h"

#include "model/mm/folio.h"
#include "sim/checker.h"

namespace wbsim::checkers {

WBSIM_CHECKER_IN(kFlusherIsolation, "flusher-isolation", "fuse/*",
              "F6: a hung inode does not stop the flusher writing back the others");

void watch_flusher_isolation(sim::Scheduler& sched, const model::AddressSpace& healthy, sim::Time bound,
                             const bool* done) {
  sched.spawn("flusher-isolation-watch", [&healthy, bound, done] {
    while (!*done) {
      sim::sleep(sim::kSec);
      bool dirty = false;
      for (const auto& [index, f] : healthy.folios) dirty = dirty || model::folio_test_dirty(*f);
      evaluated(kFlusherIsolation);
      WBSIM_CHECK(kFlusherIsolation, !dirty || sim::now() - healthy.dirtied_when <= bound,
                  "a healthy inode has been dirty for {} s (since {} s) and the flusher has not written it back: "
                  "it is stuck behind a hung inode",
                  (sim::now() - healthy.dirtied_when) / sim::kSec, healthy.dirtied_when / sim::kSec);
    }
  });
}

}  // namespace wbsim::checkers
