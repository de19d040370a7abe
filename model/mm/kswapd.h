//! kswapd (mm/vmscan.c): the background reclaimer. An allocation that
//! finds free memory below the low watermark wakes it; it reclaims until
//! the high watermark holds (balance_pgdat), then wakes kcompactd and
//! sleeps. It never waits on writeback: a folio under writeback is marked
//! PG_reclaim and skipped, dirty folios wake the flusher. After
//! MAX_RECLAIM_RETRIES fruitless passes the node is hopeless: wake-ups are
//! ignored until a direct reclaimer frees something (pgdat->kswapd_failures).
//!
//! Simplified: one node, one zone; no order or classzone; no sleep
//! prediction (kswapd_try_to_sleep's short nap).
#pragma once

#include <memory>

#include "model/mm/filemap.h"
#include "sim/kthread.h"
#include "sim/waitqueue.h"

namespace wbsim::model {

class Kswapd {
 public:
  static constexpr int kMaxReclaimRetries = 16;  // MAX_RECLAIM_RETRIES

  explicit Kswapd(Mm& mm);
  ~Kswapd();
  // wakeup_kswapd: from an allocation below the low watermark.
  void wakeup();
  // A direct reclaimer freed pages: the node is reclaimable again
  // (kswapd_failures = 0).
  void reclaim_progress() { failures_ = 0; }
  bool hopeless() const { return failures_ >= kMaxReclaimRetries; }
  void stop();
  std::uint64_t reclaimed() const { return reclaimed_; }

 private:
  void run(sim::Kthread& self);
  bool balanced() const;

  Mm& mm_;
  bool woken_ = false;
  int failures_ = 0;  // pgdat->kswapd_failures
  std::uint64_t reclaimed_ = 0;
  sim::WaitQueue wait_{"kswapd_wait"};
  std::unique_ptr<sim::Kthread> thread_;
};

}  // namespace wbsim::model
