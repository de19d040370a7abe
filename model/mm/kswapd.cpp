#include "model/mm/kswapd.h"

#include "model/mm/compaction.h"
#include "model/mm/reclaim.h"
#include "sim/coverage.h"
#include "sim/scheduler.h"

namespace wbsim::model {

using sim::mark;

WBSIM_MARK_IN(kMarkKswapdBalanced, "mm.kswapd_balanced", "mm/*", "kswapd reclaimed up to the high watermark");
WBSIM_MARK_IN(kMarkKswapdGaveUp, "mm.kswapd_gave_up", "mm/*", "kswapd gave up after MAX_RECLAIM_RETRIES fruitless passes");

Kswapd::Kswapd(Mm& mm) : mm_(mm) {
  mm_.kswapd = this;
  thread_ = std::make_unique<sim::Kthread>("kswapd0", [this](sim::Kthread& self) { run(self); });
}

Kswapd::~Kswapd() {
  if (mm_.kswapd == this) mm_.kswapd = nullptr;
}

void Kswapd::wakeup() {
  if (woken_ || failures_ >= kMaxReclaimRetries) return;
  woken_ = true;
  wait_.wake_up();
}

void Kswapd::stop() {
  if (thread_ && !thread_->exited()) thread_->stop();
  mm_.kswapd = nullptr;
}

// pgdat_balanced: zone_watermark_ok_safe(zone, order 0, high), which holds
// only above the mark (__zone_watermark_ok fails at free_pages <= mark).
bool Kswapd::balanced() const { return mm_.free_pages > high_wmark(mm_); }

void Kswapd::run(sim::Kthread& self) {
  for (;;) {
    wait_.wait_event_idle([&] { return woken_ || self.should_stop(); });
    if (self.should_stop()) return;
    woken_ = false;
    // balance_pgdat: reclaim to the high watermark.
    while (!balanced() && !self.should_stop() && failures_ < kMaxReclaimRetries) {
      const auto want = static_cast<std::uint64_t>(high_wmark(mm_) - mm_.free_pages + 1);  // to one page above it
      const std::uint64_t got = shrink_folio_list(mm_, GFP_KERNEL, want, /*is_kswapd=*/true);
      reclaimed_ += got;
      if (got != 0) {
        failures_ = 0;
        continue;
      }
      if (++failures_ >= kMaxReclaimRetries) {
        mark(kMarkKswapdGaveUp);
        break;
      }
      // Nothing reclaimable now (all dirty or under writeback): wait for
      // writeback to make progress (reclaim_throttle(VMSCAN_THROTTLE_WRITEBACK)).
      sim::sleep(100 * sim::kMs);
    }
    if (balanced()) {
      mark(kMarkKswapdBalanced);
      if (mm_.kcompactd != nullptr) mm_.kcompactd->wakeup();  // wakeup_kcompactd
    }
  }
}

}  // namespace wbsim::model
