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

}  // namespace wbsim::scenarios
