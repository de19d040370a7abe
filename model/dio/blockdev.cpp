#include "model/dio/blockdev.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "model/errno.h"
#include "sim/completion.h"
#include "sim/fault.h"

namespace wbsim::model {

WBSIM_FAULT_SITE(kBlockdevStall, "blockdev.stall", "the block device sits on a bio for up to 200 ms");
WBSIM_FAULT_SITE(kBlockdevEio, "blockdev.eio", "a direct I/O bio fails with -EIO, the medium unchanged");

void BlockDev::latency() {
  const sim::Time span = options_.latency_max - options_.latency_min;
  sim::sleep(options_.latency_min + sim::draw(static_cast<std::uint32_t>(span / sim::kUs + 1)) * sim::kUs);
  if (!healed_ && sim::fault(kBlockdevStall)) sim::sleep(sim::draw(200) * sim::kMs);
}

void BlockDev::submit_write(std::vector<std::uint8_t>& medium, loff_t pos, std::vector<std::uint8_t> bytes,
                            bool may_fail, std::function<void(int)> end_io) {
  sim::Scheduler::current().spawn(
      fmt::format("bio.w{}", ++bios_),
      [this, &medium, pos, may_fail, bytes = std::move(bytes), end_io = std::move(end_io)] {
        latency();
        if (may_fail && !healed_ && sim::fault(kBlockdevEio)) {
          end_io(kEIO);
          return;
        }
        const std::size_t end = static_cast<std::size_t>(pos) + bytes.size();
        if (medium.size() < end) medium.resize(end, 0);
        std::memcpy(medium.data() + pos, bytes.data(), bytes.size());
        end_io(0);
      });
}

sim::FiberId BlockDev::submit_read(const std::vector<std::uint8_t>& medium, loff_t pos, std::uint64_t len,
                                   bool may_fail, std::function<void(int, std::vector<std::uint8_t>)> end_io) {
  return sim::Scheduler::current().spawn(fmt::format("bio.r{}", ++bios_), [this, &medium, pos, len, may_fail,
                                                                     end_io = std::move(end_io)] {
    latency();
    if (may_fail && !healed_ && sim::fault(kBlockdevEio)) {
      end_io(kEIO, {});
      return;
    }
    std::vector<std::uint8_t> out(len, 0);
    const std::size_t from = static_cast<std::size_t>(pos);
    if (from < medium.size()) {
      const std::size_t n = std::min<std::size_t>(len, medium.size() - from);
      std::memcpy(out.data(), medium.data() + from, n);
    }
    end_io(0, std::move(out));
  });
}

int BlockDev::write_sync(std::vector<std::uint8_t>& medium, loff_t pos, std::vector<std::uint8_t> bytes,
                         bool may_fail) {
  sim::Completion done("submit_bio_wait");
  int result = 0;
  submit_write(medium, pos, std::move(bytes), may_fail, [&](int r) {
    result = r;
    done.complete();
  });
  done.wait();
  return result;
}

int BlockDev::read_sync(const std::vector<std::uint8_t>& medium, loff_t pos, std::uint64_t len, bool may_fail,
                        std::vector<std::uint8_t>* out) {
  sim::Completion done("submit_bio_wait");
  int result = 0;
  submit_read(medium, pos, len, may_fail, [&](int r, std::vector<std::uint8_t> bytes) {
    result = r;
    *out = std::move(bytes);
    done.complete();
  });
  done.wait();
  return result;
}

}  // namespace wbsim::model
