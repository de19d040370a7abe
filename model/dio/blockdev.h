//! A block device under the local files of model/dio: bios are submitted,
//! take a latency drawn from the run's oracle (plus swarm stalls), and land
//! as a whole when their completion (bi_end_io) runs. A bio that may fail
//! (direct I/O's) can end in -EIO, leaving the medium as it was; writeback
//! bios do not fail here (a lost page is outside what the coherency checkers
//! are about; docs/model.md).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/mm/folio.h"
#include "sim/scheduler.h"
#include "sim/waitqueue.h"

namespace wbsim::model {

struct BlockDevOptions {
  sim::Time latency_min = 20 * sim::kUs;
  sim::Time latency_max = 2 * sim::kMs;
};

class BlockDev {
 public:
  explicit BlockDev(const BlockDevOptions& options) : options_(options), stall_wq_("blockdev.stall") {}

  // submit_bio(REQ_OP_WRITE): `bytes` land in `medium` at `pos` when the bio
  // completes; `end_io` gets 0 or -EIO.
  void submit_write(std::vector<std::uint8_t>& medium, loff_t pos, std::vector<std::uint8_t> bytes, bool may_fail,
                    std::function<void(int)> end_io);
  // submit_bio(REQ_OP_READ): `end_io` gets 0 and the medium's bytes as they
  // are at completion (zeros past its end: a hole), or -EIO.
  // Returns the fiber that completes it (a read-in hands it the folio lock).
  sim::FiberId submit_read(const std::vector<std::uint8_t>& medium, loff_t pos, std::uint64_t len, bool may_fail,
                   std::function<void(int, std::vector<std::uint8_t>)> end_io);
  // The same, waited for (submit_bio_wait).
  int write_sync(std::vector<std::uint8_t>& medium, loff_t pos, std::vector<std::uint8_t> bytes, bool may_fail);
  int read_sync(const std::vector<std::uint8_t>& medium, loff_t pos, std::uint64_t len, bool may_fail,
                std::vector<std::uint8_t>* out);

  void heal() { healed_ = true; }
  std::uint64_t bios() const { return bios_; }

 private:
  void latency();
  BlockDevOptions options_;
  sim::WaitQueue stall_wq_;
  bool healed_ = false;
  std::uint64_t bios_ = 0;
};

}  // namespace wbsim::model
