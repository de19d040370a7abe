// dio-data-integrity: every read of a local file (buffered, direct, a load
// through a mapping) returns, byte by byte, a value some write could have
// left there: the value of a write not wholly overwritten before the read
// began, by a write that began before the read returned (a regular
// register per byte). Writes are buffered and direct writes, stores,
// fallocate's zeroing and truncate's; a failed direct write wrote nothing.
#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "checkers/checker.h"
#include "model/dio/local.h"

namespace wbsim::checkers {

WBSIM_CHECKER_IN(kDioDataIntegrity, "dio-data-integrity", "dio/*",
                 "every read of a local file returns bytes some overlapping or latest write left there");

namespace {

using model::LocalInode;
using model::LocalOp;
using model::loff_t;

struct Version {
  std::uint32_t op = 0;  // 0: the contents before the run
  std::uint8_t value = 0;
};

constexpr std::uint64_t kInFlight = UINT64_MAX;

struct Op {
  std::uint32_t id = 0;
  LocalOp kind{};
  // Positions in the checker's total order of events (begins and ends), so
  // two events at one virtual instant are still ordered.
  std::uint64_t begin = 0;
  std::uint64_t end = kInFlight;
  bool failed = false;
  std::uint32_t ino = 0;
  loff_t pos = 0;
  std::uint64_t len = 0;
  bool reads() const { return kind == LocalOp::buffered_read || kind == LocalOp::dio_read || kind == LocalOp::mmap_read; }
};

class DioIntegrityChecker final : public Checker {
 public:
  DioIntegrityChecker() { ops_.push_back(Op{0, LocalOp::buffered_write, 0, 0, false}); }

  // A byte's history stays empty (no allocation) until a write touches it:
  // empty means "the initial contents only".
  void local_file_created(const LocalInode& inode) override {
    initial_[inode.vfs.ino] = inode.disk;
    files_[inode.vfs.ino].resize(inode.disk.size());
  }
  void local_op_begin(const LocalInode& inode, LocalOp op, loff_t pos, std::uint64_t len) override {
    const auto id = static_cast<std::uint32_t>(ops_.size());
    ops_.push_back(Op{id, op, ++seq_, kInFlight, false, inode.vfs.ino, pos, len});
    stack_[current_fiber()].push_back(id);
  }
  void local_op_end(const LocalInode& inode, LocalOp op, loff_t pos, std::uint64_t len, std::int64_t ret) override {
    auto& stack = stack_[current_fiber()];
    SIM_ASSERT(!stack.empty());
    Op& o = ops_.at(stack.back());
    stack.pop_back();
    o.end = ++seq_;
    o.failed = ret < 0 && op == LocalOp::dio_write;
    prune(inode, o);
  }
  void local_write_data(const LocalInode& inode, LocalOp, loff_t pos, std::span<const std::uint8_t> data) override {
    const std::uint32_t op = current_op();
    auto& bytes = bytes_of(inode, pos + static_cast<loff_t>(data.size()));
    for (std::size_t i = 0; i < data.size(); ++i) touch(inode, bytes, static_cast<std::size_t>(pos) + i).push_back({op, data[i]});
    touched_[op].push_back({pos, pos + static_cast<loff_t>(data.size())});
  }
  void local_size_changed(const LocalInode& inode, loff_t old_size, loff_t new_size) override {
    if (new_size >= old_size) return;
    // Truncate: the bytes past the new size read as zeros if the file grows again.
    const std::uint32_t op = current_op();
    auto& bytes = bytes_of(inode, old_size);
    for (loff_t b = new_size; b < old_size; ++b) touch(inode, bytes, static_cast<std::size_t>(b)).push_back({op, 0});
    touched_[op].push_back({new_size, old_size});
  }
  void local_shifted(const LocalInode& inode, loff_t from, std::int64_t shift) override {
    auto& bytes = bytes_of(inode, from);
    // Materialise every history from `from` on: the initial contents do
    // not move with them otherwise.
    for (std::size_t b = static_cast<std::size_t>(from); b < bytes.size(); ++b) touch(inode, bytes, b);
    const auto at = bytes.begin() + from;
    if (shift > 0) {
      bytes.insert(at, static_cast<std::size_t>(shift), std::vector<Version>{{current_op(), 0}});
    } else {
      bytes.erase(at + shift, at);
    }
  }
  void local_read_data(const LocalInode& inode, LocalOp op, loff_t pos, std::span<const std::uint8_t> data) override {
    const Op& read = ops_.at(current_op());
    auto& bytes = bytes_of(inode, pos + static_cast<loff_t>(data.size()));
    std::size_t bad = data.size();
    for (std::size_t i = 0; i < data.size() && bad == data.size(); ++i) {
      const std::size_t b = static_cast<std::size_t>(pos) + i;
      if (bytes[b].empty()) {  // never written: the initial contents only
        if (data[i] != initial_at(inode, b)) bad = i;
        continue;
      }
      const auto& history = bytes[b];
      if (std::none_of(history.begin(), history.end(),
                       [&](const Version& v) { return v.value == data[i] && possible(v, history, read); }))
        bad = i;
    }
    WBSIM_CHECK(kDioDataIntegrity, bad == data.size(),
                "ino {} ({}): {} at {}+{} returned {:#04x} at byte {}; it could only hold {}", inode.vfs.ino,
                model::dio_policy_name(inode.policy), model::local_op_name(op), pos, data.size(),
                bad < data.size() ? data[bad] : 0, pos + static_cast<loff_t>(bad),
                bad < data.size() ? describe(touch(inode, bytes, static_cast<std::size_t>(pos) + bad), read) : "");
  }

 private:
  std::uint32_t current_op() {
    const auto& stack = stack_[current_fiber()];
    SIM_ASSERT(!stack.empty());
    return stack.back();
  }
  std::vector<std::vector<Version>>& bytes_of(const LocalInode& inode, loff_t end) {
    auto& bytes = files_[inode.vfs.ino];
    if (bytes.size() < static_cast<std::size_t>(end)) bytes.resize(static_cast<std::size_t>(end));
    return bytes;
  }
  std::uint8_t initial_at(const LocalInode& inode, std::size_t b) {
    const auto& init = initial_[inode.vfs.ino];
    return b < init.size() ? init[b] : std::uint8_t{0};
  }
  // Byte `b`'s history, with its initial version made explicit.
  std::vector<Version>& touch(const LocalInode& inode, std::vector<std::vector<Version>>& bytes, std::size_t b) {
    auto& history = bytes[b];
    if (history.empty()) history.push_back({0, initial_at(inode, b)});
    return history;
  }
  // `v` may be what a read sees: its write began before the read returned,
  // did not fail, and no later write had wholly replaced it before the
  // read began.
  bool possible(const Version& v, const std::vector<Version>& history, const Op& read) const {
    const Op& w = ops_.at(v.op);
    if (w.failed) return false;
    for (const Version& o : history) {
      const Op& later = ops_.at(o.op);
      if (later.failed || later.end == kInFlight) continue;
      if (later.begin > w.end && later.end < read.begin) return false;
    }
    return true;
  }
  std::string describe(const std::vector<Version>& history, const Op& read) const {
    std::string out;
    for (const Version& v : history) {
      if (!possible(v, history, read)) continue;
      const Op& w = ops_.at(v.op);
      out += fmt::format("{}{:#04x} ({} #{})", out.empty() ? "" : ", ", v.value,
                         v.op == 0 ? "initial contents" : model::local_op_name(w.kind), v.op);
    }
    return out.empty() ? "nothing" : out;
  }
  // Versions no read from now on can see go (bounded memory per byte).
  void prune(const LocalInode& inode, const Op& done) {
    const auto t = touched_.find(done.id);
    if (t == touched_.end()) return;
    auto& bytes = files_[inode.vfs.ino];
    for (const auto& [start, end] : t->second) {
      // Only reads in flight over these bytes can still see an old version.
      std::uint64_t oldest_read = seq_ + 1;  // a read from now on begins after every event so far
      for (const auto& [fiber, stack] : stack_) {
        for (std::uint32_t id : stack) {
          const Op& r = ops_.at(id);
          if (r.reads() && r.ino == inode.vfs.ino && r.pos < end && r.pos + static_cast<loff_t>(r.len) > start)
            oldest_read = std::min(oldest_read, r.begin);
        }
      }
      prune_range(bytes, start, end, oldest_read);
    }
    touched_.erase(t);
  }
  void prune_range(std::vector<std::vector<Version>>& bytes, loff_t start, loff_t end, std::uint64_t oldest_read) {
      for (loff_t b = start; b < end && static_cast<std::size_t>(b) < bytes.size(); ++b) {
        auto& history = bytes[static_cast<std::size_t>(b)];
        if (history.size() < 2) continue;
        std::erase_if(history, [&](const Version& v) {
          const Op& w = ops_.at(v.op);
          if (w.end == kInFlight) return false;
          return w.failed || std::any_of(history.begin(), history.end(), [&](const Version& o) {
            const Op& later = ops_.at(o.op);
            return !later.failed && later.end != kInFlight && later.begin > w.end && later.end < oldest_read;
          });
        });
      }
  }

  std::map<std::uint32_t, std::vector<std::vector<Version>>> files_;
  std::map<std::uint32_t, std::vector<std::uint8_t>> initial_;  // contents at creation
  std::vector<Op> ops_;  // by id
  std::map<sim::FiberId, std::vector<std::uint32_t>> stack_;
  std::map<std::uint32_t, std::vector<std::pair<loff_t, loff_t>>> touched_;
  std::uint64_t seq_ = 0;
};

}  // namespace

std::unique_ptr<Checker> make_dio_integrity_checker() { return std::make_unique<DioIntegrityChecker>(); }

}  // namespace wbsim::checkers
