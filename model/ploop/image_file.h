//! The file a ploop delta lives in, on a host filesystem over a disk with a
//! volatile write cache: what dm-ploop reaches through call_read_iter /
//! call_write_iter (IOCB_DIRECT, asynchronous), vfs_fsync, vfs_truncate and
//! vfs_fallocate.
//!
//! Durability is the block layer's contract: a write is durable once an
//! fsync that began after it completed has returned, or at its completion if
//! it was IOCB_DSYNC (REQ_FUA underneath); size changes and hole punches
//! likewise. Until then a power cut keeps any subset of the operations
//! issued since the last durable point, each whole or (with tearing) any
//! subset of its 512-byte sectors: crash_image() builds one such image.
//!
//! Simplified (docs/ploop.md): the file's bytes are one array (no extents);
//! space is counted in 4 KiB blocks against an optional capacity, so
//! ENOSPC comes from writing into a hole or extending with no block left;
//! operations apply atomically at completion.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/mm/folio.h"
#include "sim/scheduler.h"

namespace wbsim::model {

inline constexpr std::uint32_t kSectorSize = 512;

struct ImageFileOptions {
  sim::Time latency_min = 20 * sim::kUs;
  sim::Time latency_max = 500 * sim::kUs;
  sim::Time fsync_latency = 200 * sim::kUs;
  // Blocks (4 KiB) the host filesystem can give this file; 0: unlimited.
  std::uint64_t capacity_blocks = 0;
};

class ImageFile {
 public:
  explicit ImageFile(const ImageFileOptions& options, std::vector<std::uint8_t> initial);

  // An asynchronous IOCB_DIRECT write or read (the kiocb's ki_complete gets
  // bytes done or -errno). A write may come back short (partial I/O) or with
  // -ENOSPC or -EIO under faults; `dsync` (IOCB_DSYNC) makes it durable, and
  // everything completed before it, at its completion.
  void write_async(loff_t pos, std::vector<std::uint8_t> bytes, bool dsync, std::function<void(long)> complete);
  void read_async(loff_t pos, std::uint64_t len, std::function<void(long, std::vector<std::uint8_t>)> complete);
  // Synchronous page-sized I/O (ploop_rw_page_sync).
  long read_sync(loff_t pos, std::uint64_t len, std::vector<std::uint8_t>* out) const;
  // vfs_fsync: everything completed before the call becomes durable.
  int fsync();
  // vfs_truncate (sparse: no blocks) and vfs_fallocate: mode 0 allocates,
  // PUNCH_HOLE|KEEP_SIZE frees, ZERO_RANGE|KEEP_SIZE zeroes keeping blocks.
  int truncate(loff_t len);
  enum class Falloc : std::uint8_t { allocate, punch_hole, zero_range };
  int fallocate(Falloc mode, loff_t pos, loff_t len);

  loff_t size() const { return static_cast<loff_t>(data_.size()); }
  // Frees blocks the host filesystem lacked (the administrator made room).
  void set_capacity(std::uint64_t blocks) { options_.capacity_blocks = blocks; }
  void heal() { healed_ = true; }
  // Scripted: the next `n` fsyncs fail with -EIO (after waiting as usual).
  void fail_next_fsync(int n) { fail_fsyncs_ = n; }
  // Scripted: the next write longer than `sectors` sectors is done for that
  // many (partial I/O, as the `ploop.file_short` fault site does at random);
  // with `then_fail`, the write after it fails with -EIO (as the
  // `ploop.file_eio` site does at random): a resubmitted rest that fails.
  void short_next_write(std::uint32_t sectors, bool then_fail = false) {
    short_next_write_ = sectors;
    fail_after_short_ = then_fail;
  }

  // --- power cuts --------------------------------------------------------------
  // Operations issued since the last durable point (may still land).
  std::size_t volatile_ops() const;
  // The file after a power cut now: the durable state plus the volatile
  // operations `keep` selects (bit i: the i-th, in issue order); with
  // `tear`, each kept write keeps only the sectors `tear` selects (bit s of
  // tear(i): sector s of write i).
  std::vector<std::uint8_t> crash_image(const std::function<bool(std::size_t)>& keep,
                                        const std::function<bool(std::size_t, std::size_t)>& tear) const;
  const std::vector<std::uint8_t>& data() const { return data_; }
  // Called whenever something became durable (an fsync returned, a dsync
  // write completed): a point at which to cut the power.
  std::function<void()> on_durable;
  // Called where the `ploop.power_cut` fault site fires (after an
  // operation completed): a random point at which to cut the power.
  std::function<void()> on_random_point;

 private:
  struct Op {
    enum class Kind : std::uint8_t { write, truncate, zero } kind;
    loff_t pos = 0;
    std::vector<std::uint8_t> bytes;  // write
    loff_t len = 0;                   // truncate: new size; zero: length
    bool completed = false;
    bool durable = false;
    std::uint64_t completed_at = 0;  // the completion counter when it completed
  };
  void latency();
  void make_durable_upto(std::uint64_t completed_before);
  // Applies a completed operation to what reads see and keeps it volatile.
  void record(Op op);
  static void apply(std::vector<std::uint8_t>& to, const Op& op);
  std::uint64_t blocks_needed(loff_t pos, std::uint64_t len) const;
  void allocate_blocks(loff_t pos, std::uint64_t len);

  ImageFileOptions options_;
  std::vector<std::uint8_t> data_;     // what reads see
  std::vector<bool> allocated_;        // per 4 KiB block of data_
  std::uint64_t used_blocks_ = 0;
  std::vector<std::uint8_t> durable_;  // what survives a power cut for sure
  std::vector<Op> ops_;                // issued, not yet durable (in issue order)
  std::uint64_t completions_ = 0;
  std::uint32_t aio_ = 0;
  bool healed_ = false;
  int fail_fsyncs_ = 0;
  std::uint32_t short_next_write_ = 0;
  bool fail_after_short_ = false;  // short_next_write(..., then_fail)
  bool fail_next_write_ = false;   // set when that short write is done
};

}  // namespace wbsim::model
