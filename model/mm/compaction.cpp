#include "model/mm/compaction.h"

#include "model/mm/migrate.h"
#include "sim/coverage.h"
#include "sim/fault.h"

namespace wbsim::model {

WBSIM_FAULT_SITE(kCompact, "mm.compact", "kcompactd finds the page cache's blocks worth compacting when woken");
WBSIM_FAULT_SITE(kCompactSync, "mm.compact_sync",
                 "a round is a contiguous allocation (CMA, alloc_contig_range): MIGRATE_SYNC, waiting on writeback");
WBSIM_MARK_IN(kMarkKcompactdRound, "mm.kcompactd_round", "mm/*", "kcompactd found the page cache worth compacting");
// Apart from the round: a round whose folios were all busy, or one that
// migrated nothing, must not pass for compaction that moved pages.
WBSIM_MARK_IN(kMarkKcompactdMigrated, "mm.kcompactd_migrated", "mm/*", "kcompactd moved a page-cache folio");

Kcompactd::Kcompactd(Mm& mm) : mm_(mm) {
  mm_.kcompactd = this;
  thread_ = std::make_unique<sim::Kthread>("kcompactd0", [this](sim::Kthread& self) { run(self); });
}

Kcompactd::~Kcompactd() {
  if (mm_.kcompactd == this) mm_.kcompactd = nullptr;
}

void Kcompactd::wakeup() {
  if (woken_) return;
  woken_ = true;
  wait_.wake_up();
}

void Kcompactd::stop() {
  if (thread_ && !thread_->exited()) thread_->stop();
  mm_.kcompactd = nullptr;
}

void Kcompactd::run(sim::Kthread& self) {
  for (;;) {
    wait_.wait_event_idle([&] { return woken_ || self.should_stop(); });
    if (self.should_stop()) return;
    woken_ = false;
    if (!sim::fault(kCompact)) continue;
    sim::mark(kMarkKcompactdRound);
    ++rounds_;
    // Snapshot: migration may sleep, and mappings do not go away.
    const std::vector<AddressSpace*> mappings = mm_.reclaimable;
    const MigrateMode mode = sim::fault(kCompactSync) ? MigrateMode::sync : MigrateMode::sync_light;
    const std::uint64_t migrated = mm_.pgmigrate_success;
    for (AddressSpace* mapping : mappings) {
      if (self.should_stop()) return;
      migrate_mapping(*mapping, mode);
    }
    if (mm_.pgmigrate_success != migrated) sim::mark(kMarkKcompactdMigrated);
  }
}

}  // namespace wbsim::model
