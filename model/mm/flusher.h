//! The flusher thread (fs/fs-writeback.c's wb_workfn for one bdi): background
//! writeback past the background threshold, periodic (kupdate) writeback of
//! data dirtied longer than dirty_expire ago, and queued sync work.
//!
//! Simplified: one bdi; inodes are visited in registration order rather than
//! by the b_dirty/b_io/b_more_io lists; nr_to_write chunks are fixed.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "model/mm/page_writeback.h"
#include "sim/completion.h"
#include "sim/kthread.h"
#include "sim/waitqueue.h"

namespace wbsim::model {

class Flusher {
 public:
  static constexpr sim::Time kDirtyWritebackInterval = 5 * sim::kSec;  // dirty_writeback_centisecs
  static constexpr sim::Time kDirtyExpire = 30 * sim::kSec;            // dirty_expire_centisecs
  static constexpr long kChunkPages = 1024;                            // MAX_WRITEBACK_PAGES

  // `chunk_pages`: nr_to_write of one background or kupdate pass per inode
  // (MAX_WRITEBACK_PAGES in the kernel; smaller in scenarios with small
  // files, so that the budget runs out and range_cyclic resumes).
  explicit Flusher(Mm& mm, long chunk_pages = kChunkPages);
  ~Flusher();

  void register_mapping(AddressSpace& mapping) { mappings_.push_back(&mapping); }
  void wakeup_background();
  // __mark_inode_dirty -> wb_wakeup_delayed: an inode became dirty.
  void inode_dirtied() { wq_.wake_up(); }
  // Queues WB_SYNC_ALL writeback of every inode and waits for it (the part
  // of sync(2) that goes through the flusher).
  void sync_all_and_wait();
  // The mappings the flusher writes back (one superblock, in the model).
  const std::vector<AddressSpace*>& mappings() const { return mappings_; }
  void stop();

 private:
  struct SyncWork {
    sim::Completion done{"flusher.sync_done"};
  };
  void run(sim::Kthread& self);
  bool any_dirty() const;
  void writeback_all(SyncMode mode, bool kupdate_only);
  void wb_check_old_data_flush();
  void wb_check_background_flush();

  Mm& mm_;
  std::vector<AddressSpace*> mappings_;
  std::deque<SyncWork*> work_;
  long chunk_pages_;
  bool background_ = false;       // woken by wb_start_background_writeback
  sim::Time last_old_flush_ = 0;  // wb->last_old_flush
  sim::WaitQueue wq_{"flusher.wq"};
  std::unique_ptr<sim::Kthread> thread_;
};

}  // namespace wbsim::model
