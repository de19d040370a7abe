//! Helpers of the ploop/* scenarios: a device on a fresh image and
//! recognisable sector-sized writes.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "model/errno.h"
#include "model/ploop/ploop.h"
#include "model/world.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

// Bytes of write number `tag`, never zero (a hole cannot pass for them).
inline std::vector<std::uint8_t> ploop_data(std::uint32_t tag, std::uint32_t sectors) {
  return pattern(tag, std::uint64_t{sectors} * model::kSectorSize);
}

inline model::BlkStatus ploop_write(model::Ploop& dev, std::uint64_t sector, std::vector<std::uint8_t> data,
                                    bool fua = false, bool preflush = false) {
  return model::ploop_submit_bio_wait(
      dev, model::PloopBio{.op = model::PioOp::write, .pos = static_cast<model::loff_t>(sector * model::kSectorSize),
                           .data = std::move(data), .fua = fua, .preflush = preflush});
}

inline model::BlkStatus ploop_read(model::Ploop& dev, std::uint64_t sector, std::uint32_t sectors,
                                   std::vector<std::uint8_t>* out) {
  return model::ploop_submit_bio_wait(
      dev,
      model::PloopBio{.op = model::PioOp::read, .pos = static_cast<model::loff_t>(sector * model::kSectorSize),
                      .len = sectors * model::kSectorSize},
      out);
}

inline model::BlkStatus ploop_flush(model::Ploop& dev) {
  return model::ploop_submit_bio_wait(dev, model::PloopBio{.op = model::PioOp::flush});
}

inline model::BlkStatus ploop_discard(model::Ploop& dev, std::uint32_t clu) {
  return model::ploop_submit_bio_wait(
      dev, model::PloopBio{.op = model::PioOp::discard, .pos = static_cast<model::loff_t>(clu) * dev.clu_size(),
                           .len = dev.clu_size()});
}

// A BAT update that fails in its flush, then another allocation: a first
// write to device cluster 0 (the image grows), a write to device cluster
// `a` (md page 0) whose md page write lands and whose flush fails (it must
// fail upward with IOERR), a write to device cluster `b`, a flush.
inline void ploop_failed_bat_flush_then_write(model::Ploop& dev, std::uint32_t a, std::uint32_t b) {
  const std::uint32_t per_clu = dev.clu_size() / model::kSectorSize;
  ploop_write(dev, 0, ploop_data(3, per_clu));
  dev.file->fail_next_fsync(1);
  const model::BlkStatus first = ploop_write(dev, std::uint64_t{a} * per_clu, ploop_data(1, per_clu));
  SIM_ASSERT_MSG(first == model::BlkStatus::ioerr, "the write whose BAT flush failed ended {}", model::blk_status_name(first));
  ploop_write(dev, std::uint64_t{b} * per_clu, ploop_data(2, per_clu));
  ploop_flush(dev);
}

}  // namespace wbsim::scenarios
