#include "model/backend/server.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "model/events.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/fault.h"
#include "sim/scheduler.h"

namespace wbsim::model {

WBSIM_FAULT_SITE(kServerStall, "server.stall", "a write RPC is held for a long time before it is applied");
WBSIM_FAULT_SITE(kServerEio, "server.eio", "a write RPC fails permanently with -EIO");
WBSIM_FAULT_SITE(kServerEagain, "server.eagain", "a write RPC fails with -EAGAIN (reconnect); retriable");
WBSIM_FAULT_SITE(kServerShortWrite, "server.short_write", "a write RPC stores only a prefix of its data");
WBSIM_FAULT_SITE(kServerWsizeShrink, "server.wsize_shrink", "a reconnect renegotiates a smaller wsize");

namespace {

}  // namespace

RemoteServer::RemoteServer(Options options)
    : options_(options),
      wsize_(options.wsize),
      credits_(std::make_unique<sim::Semaphore>("server.credits", options.credits)) {}

ServerFile& RemoteServer::file(std::uint32_t id) {
  while (files_.size() <= id) files_.push_back(std::make_unique<ServerFile>());
  return *files_[id];
}

void RemoteServer::maybe_shrink_wsize() {
  if (!healed_ && wsize_ > 4096 && sim::fault(kServerWsizeShrink)) {
    wsize_ = std::max<std::uint64_t>(4096, wsize_ / 2);
    ++session_;
  }
}

void RemoteServer::heal() {
  healed_ = true;
  for (std::uint32_t id = 0; id < files_.size(); ++id) {
    ServerFile& f = *files_[id];
    for (const std::uint32_t key : f.revoked) {
      f.acl.push_back(key);
      trace_ev(Ev::server_acl, 1, key);
    }
    f.revoked.clear();
  }
  scripted_errors_.clear();
  scripted_short_.clear();
  scripted_replies_.clear();
  release();
}

bool RemoteServer::admits(std::uint32_t file_id, std::uint32_t key) {
  const ServerFile& f = file(file_id);
  if (f.acl.empty() && f.revoked.empty()) return true;  // no ACL: keys are not checked
  // No key (0) is the anonymous user, whom no ACL of the model admits.
  return key != 0 && std::find(f.acl.begin(), f.acl.end(), key) != f.acl.end();
}

void RemoteServer::revoke_key(std::uint32_t file_id, std::uint32_t key) {
  ServerFile& f = file(file_id);
  const auto it = std::find(f.acl.begin(), f.acl.end(), key);
  SIM_ASSERT_MSG(it != f.acl.end(), "file {}: key {} is not in its ACL", file_id, key);
  f.acl.erase(it);
  f.revoked.push_back(key);
  trace_ev(Ev::server_acl, 0, key);
}

void RemoteServer::write_async(std::uint32_t file_id, loff_t pos, std::vector<std::uint8_t> bytes,
                               std::function<void(std::int64_t)> reply, std::uint32_t credits,
                               std::uint32_t key) {
  ++in_flight_;
  credits_in_flight_ += credits;
  MODEL_EVENT(server_write_rpc(file_id, pos, bytes.size(), credits, wsize_, credits_in_flight_, options_.credits));
  std::optional<Reply> scripted;
  if (!scripted_replies_.empty()) {
    scripted = scripted_replies_.front();
    scripted_replies_.pop_front();
  }
  sim::Scheduler& sched = sim::Scheduler::current();
  sched.spawn(fmt::format("srv.write{}", ++rpc_seq_),
              [this, file_id, pos, scripted, credits, key, bytes = std::move(bytes), reply = std::move(reply)]() mutable {
                const sim::Time span = options_.latency_max - options_.latency_min;
                sim::sleep(options_.latency_min + sim::draw(static_cast<std::uint32_t>(span / sim::kUs + 1)) * sim::kUs);
                if (!healed_ && sim::fault(kServerStall)) sim::sleep(sim::draw(2000) * sim::kMs);
                stall_wq_.wait_event([this] { return !stalled_; });
                std::int64_t result = static_cast<std::int64_t>(bytes.size());
                std::uint64_t cap = UINT64_MAX;
                if (!admits(file_id, key)) {
                  result = kEACCES;  // checked as the server handles the RPC
                } else if (scripted && !healed_) {
                  if (scripted->error != 0) result = scripted->error;
                  cap = scripted->max_bytes;
                } else if (!scripted_errors_.empty()) {
                  result = scripted_errors_.front();
                  scripted_errors_.pop_front();
                } else if (!healed_ && sim::fault(kServerEagain)) {
                  result = kEAGAIN;
                } else if (!healed_ && sim::fault(kServerEio)) {
                  result = kEIO;
                }
                std::uint64_t n = bytes.size();
                if (result >= 0) {
                  if (cap != UINT64_MAX) {
                    n = std::min(n, cap);
                  } else if (!scripted_short_.empty()) {
                    n = std::min<std::uint64_t>(n, scripted_short_.front());
                    scripted_short_.pop_front();
                  } else if (!healed_ && n > 1 && sim::fault(kServerShortWrite)) {
                    n = 1 + sim::draw(static_cast<std::uint32_t>(std::min<std::uint64_t>(n - 1, 1u << 30)));
                  }
                  ServerFile& f = file(file_id);
                  const std::uint64_t end = static_cast<std::uint64_t>(pos) + n;
                  const std::uint64_t old_size = f.data.size();
                  if (end > f.data.size()) {
                    trace_ev(Ev::server_size, f.data.size(), end);
                    f.data.resize(end, 0);  // size = max(size, end): a hole below is zeros
                  }
                  std::memcpy(f.data.data() + pos, bytes.data(), n);
                  ++f.writes;
                  trace_ev(Ev::server_write, static_cast<std::uint64_t>(pos), n);
                  MODEL_EVENT(server_wrote(file_id, pos, n, old_size, f.data.size()));
                  result = static_cast<std::int64_t>(n);
                }
                if (result < 0) MODEL_EVENT(server_write_refused(file_id, pos, bytes.size(), static_cast<int>(result)));
                --in_flight_;
                credits_in_flight_ -= credits;
                reply(result);
              });
}

std::vector<std::uint8_t> RemoteServer::read(std::uint32_t file_id, loff_t pos, std::uint64_t len) {
  sim::sleep(options_.latency_min);
  const ServerFile& f = file(file_id);
  if (static_cast<std::uint64_t>(pos) >= f.data.size()) return {};
  const std::uint64_t n = std::min<std::uint64_t>(len, f.data.size() - pos);
  return std::vector<std::uint8_t>(f.data.begin() + pos, f.data.begin() + pos + static_cast<long>(n));
}

void apply_range_op(std::vector<std::uint8_t>& data, RangeOp op, std::uint64_t offset, std::uint64_t len,
                    std::uint64_t dest, bool keep_size) {
  const std::uint64_t end = offset + len;
  auto zero = [&](std::uint64_t from, std::uint64_t to) {
    to = std::min<std::uint64_t>(to, data.size());
    if (from < to) std::fill(data.begin() + static_cast<long>(from), data.begin() + static_cast<long>(to), 0);
  };
  switch (op) {
    case RangeOp::allocate:
      if (!keep_size && end > data.size()) data.resize(end, 0);
      break;
    case RangeOp::punch_hole:
      zero(offset, end);
      break;
    case RangeOp::zero_range:
      zero(offset, end);
      if (!keep_size && end > data.size()) data.resize(end, 0);
      break;
    case RangeOp::collapse_range:
      SIM_ASSERT_CMP(end, <, data.size());
      data.erase(data.begin() + static_cast<long>(offset), data.begin() + static_cast<long>(end));
      break;
    case RangeOp::insert_range:
      SIM_ASSERT_CMP(offset, <, data.size());
      data.insert(data.begin() + static_cast<long>(offset), len, 0);
      break;
    case RangeOp::copy_range: {
      SIM_ASSERT_CMP(end, <=, data.size());
      const std::vector<std::uint8_t> src(data.begin() + static_cast<long>(offset), data.begin() + static_cast<long>(end));
      if (dest + len > data.size()) data.resize(dest + len, 0);
      std::copy(src.begin(), src.end(), data.begin() + static_cast<long>(dest));
      break;
    }
  }
}

int RemoteServer::range_op(std::uint32_t file_id, RangeOp op, loff_t offset, std::uint64_t len, loff_t dest,
                           bool keep_size) {
  sim::sleep(options_.latency_min);
  ServerFile& f = file(file_id);
  const std::uint64_t old_size = f.data.size();
  // The server checks against its own size, which a failed writeback may
  // have left below the client's.
  const auto end = static_cast<std::uint64_t>(offset) + len;
  if ((op == RangeOp::collapse_range && end >= old_size) ||
      (op == RangeOp::insert_range && static_cast<std::uint64_t>(offset) >= old_size) ||
      (op == RangeOp::copy_range && end > old_size))
    return -22;  // -EINVAL
  trace_ev(Ev::server_range_op, static_cast<std::uint64_t>(op), static_cast<std::uint64_t>(offset));
  apply_range_op(f.data, op, static_cast<std::uint64_t>(offset), len, static_cast<std::uint64_t>(dest), keep_size);
  if (f.data.size() != old_size) trace_ev(Ev::server_size, old_size, f.data.size());
  return 0;
}

void RemoteServer::forbid_data_loss() { sim::Scheduler::current().faults().disable(kServerEio); }

void RemoteServer::forbid_short_writes() { sim::Scheduler::current().faults().disable(kServerShortWrite); }

std::uint64_t RemoteServer::truncate(std::uint32_t file_id, loff_t size) {
  sim::sleep(options_.latency_min);
  ServerFile& f = file(file_id);
  const std::uint64_t old_size = f.data.size();
  trace_ev(Ev::server_size, old_size, static_cast<std::uint64_t>(size));
  f.data.resize(static_cast<std::size_t>(size), 0);
  return old_size;
}

}  // namespace wbsim::model
