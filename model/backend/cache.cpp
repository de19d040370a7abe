#include "model/backend/cache.h"

#include <cstring>

#include <fmt/format.h>

#include "model/backend/server.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/fault.h"
#include "sim/scheduler.h"

namespace wbsim::model {

WBSIM_FAULT_SITE(kCacheEnobufs, "cache.enobufs", "a cache write fails with -ENOBUFS");
WBSIM_FAULT_SITE(kCacheWithdraw, "cache.withdraw", "the cache is withdrawn while a write is in flight");

LocalCache::File& LocalCache::file(std::uint32_t id) {
  if (files_.size() <= id) files_.resize(id + 1);
  return files_[id];
}

const std::vector<std::uint8_t>& LocalCache::data(std::uint32_t file_id) { return file(file_id).data; }

void LocalCache::invalidate(std::uint32_t file_id) {
  File& f = file(file_id);
  f.invalidated = true;
  f.data.clear();
}

void LocalCache::withdraw() {
  if (withdrawn_) return;
  withdrawn_ = true;
  sim::Scheduler::current().trace(static_cast<std::uint16_t>(Ev::cache_withdrawn), sim::kNoObject);
}

void LocalCache::write_async(std::uint32_t file_id, loff_t pos, std::vector<std::uint8_t> bytes,
                             std::function<void(std::int64_t)> reply) {
  // The cache requires DIO alignment: netfs never sends it streaming data.
  SIM_ASSERT_MSG(pos % static_cast<loff_t>(granularity_) == 0, "cache write at {} not aligned to {}", pos,
                 granularity_);
  sim::Scheduler::current().spawn(fmt::format("cache.write{}", ++seq_), [this, file_id, pos,
                                                                       bytes = std::move(bytes),
                                                                       reply = std::move(reply)] {
    sim::sleep((50 + sim::draw(200)) * sim::kUs);
    if (!healed_ && sim::fault(kCacheWithdraw)) withdraw();
    if (withdrawn_ || (!healed_ && sim::fault(kCacheEnobufs))) {
      ++failed_writes_;
      reply(kENOBUFS);
      return;
    }
    if (backing_ && backing_(file_id, pos, bytes) != 0) {
      ++failed_writes_;
      reply(kENOBUFS);
      return;
    }
    File& f = file(file_id);
    if (f.data.size() < pos + bytes.size()) f.data.resize(pos + bytes.size(), 0);
    std::memcpy(f.data.data() + pos, bytes.data(), bytes.size());
    sim::Scheduler::current().trace(static_cast<std::uint16_t>(Ev::cache_write), sim::kNoObject,
                                    static_cast<std::uint64_t>(pos), bytes.size());
    reply(static_cast<std::int64_t>(bytes.size()));
  });
}

}  // namespace wbsim::model
