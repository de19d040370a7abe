//! kcompactd (mm/compaction.c): background compaction. kswapd wakes it once
//! it has balanced the node; it then migrates the folios of the page cache
//! (the blocks they sit in) in MIGRATE_SYNC_LIGHT mode, which may sleep on
//! a folio lock but never waits for writeback. Each wake-up is a chance,
//! not a certainty: the mm.compact fault site decides whether this round
//! finds a block worth compacting, and mm.compact_sync whether the round
//! stands for a contiguous allocation (CMA, alloc_contig_range), which
//! migrates in MIGRATE_SYNC and so waits on writeback.
//!
//! Simplified: no fragmentation score, no proactive timer, no free-page
//! scanner; a "block" is one mapping's folios.
#pragma once

#include <memory>

#include "model/mm/filemap.h"
#include "sim/kthread.h"
#include "sim/waitqueue.h"

namespace wbsim::model {

class Kcompactd {
 public:
  explicit Kcompactd(Mm& mm);
  ~Kcompactd();
  void wakeup();
  void stop();
  std::uint64_t rounds() const { return rounds_; }

 private:
  void run(sim::Kthread& self);

  Mm& mm_;
  bool woken_ = false;
  std::uint64_t rounds_ = 0;
  sim::WaitQueue wait_{"kcompactd_wait"};
  std::unique_ptr<sim::Kthread> thread_;
};

}  // namespace wbsim::model
