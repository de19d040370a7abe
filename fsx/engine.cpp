#include "fsx/engine.h"

#include "model/mm/iov_iter.h"

#include <sstream>

#include "checkers/suite.h"
#include "fsx/transcript.h"
#include "model/events.h"
#include "model/mm/pressure.h"
#include "model/netfs/netfs.h"
#include "model/world.h"

namespace wbsim::fsx {

namespace {

class EngineTarget final : public Target {
 public:
  EngineTarget(model::World& w, model::NetfsInode& inode) : w_(w), inode_(inode), file_(w.open(inode)) {}

  std::uint64_t size() override { return static_cast<std::uint64_t>(inode_.i_size); }

  ReadResult read(std::uint64_t offset, std::uint64_t length, Access access) override {
    pressure();
    ReadResult r;
    r.data = access == Access::buffered ? model::netfs_file_read(file_, pos(offset), length)
                                        : model::netfs_mmap_read(file_, pos(offset), length);
    return r;
  }

  int write(std::uint64_t offset, std::span<const std::uint8_t> data, Access access) override {
    pressure();
    const std::vector<std::uint8_t> bytes(data.begin(), data.end());
    if (access == Access::mapped) {
      model::netfs_mmap_write(file_, pos(offset), bytes);
      return model::netfs_msync(file_, pos(offset), pos(offset + data.size()) - 1);
    }
    const std::int64_t n =
        model::netfs_file_write(file_, pos(offset), bytes, {.max_folio_order = 2, .random_orders = true});
    if (n < 0) return static_cast<int>(n);
    return n == static_cast<std::int64_t>(data.size()) ? 0 : -5;
  }

  int truncate(std::uint64_t new_size) override {
    pressure();
    return model::netfs_truncate(file_, pos(new_size));
  }
  int fallocate(std::uint64_t offset, std::uint64_t length, bool keep_size) override {
    return range_op(model::RangeOp::allocate, offset, length, 0, keep_size);
  }
  int punch_hole(std::uint64_t offset, std::uint64_t length) override {
    return range_op(model::RangeOp::punch_hole, offset, length, 0, true);
  }
  int zero_range(std::uint64_t offset, std::uint64_t length, bool keep_size) override {
    return range_op(model::RangeOp::zero_range, offset, length, 0, keep_size);
  }
  int collapse_range(std::uint64_t offset, std::uint64_t length) override {
    return range_op(model::RangeOp::collapse_range, offset, length, 0, false);
  }
  int insert_range(std::uint64_t offset, std::uint64_t length) override {
    return range_op(model::RangeOp::insert_range, offset, length, 0, false);
  }
  int copy_range(std::uint64_t src, std::uint64_t length, std::uint64_t dest) override {
    return range_op(model::RangeOp::copy_range, src, length, dest, false);
  }

  void close_open() override {
    pressure();
    model::netfs_drop_page_cache(file_);
  }

  std::vector<std::uint8_t> final_contents() override {
    model::netfs_fsync(file_);
    return w_.server().file(inode_.ino).data;  // stable storage
  }

 private:
  static model::loff_t pos(std::uint64_t v) { return static_cast<model::loff_t>(v); }

  int range_op(model::RangeOp op, std::uint64_t offset, std::uint64_t length, std::uint64_t dest, bool keep_size) {
    pressure();
    return model::netfs_range_op(file_, op, pos(offset), length, pos(dest), keep_size);
  }

  // Between operations: reclaim or a writeback kick (when their fault sites
  // are on), and a little virtual time so writeback in flight moves on.
  void pressure() {
    model::mm_pressure_point(inode_.mapping, w_.flusher());
    sim::sleep(sim::draw(4) * 100 * sim::kUs);
  }

  model::World& w_;
  model::NetfsInode& inode_;
  model::NetfsFile file_;
};

}  // namespace

sim::SchedulerConfig replay_config(std::uint64_t seed) {
  sim::SchedulerConfig config;
  config.seed = seed;
  config.step_budget = 50'000'000;
  config.time_budget = 24 * 3600 * sim::kSec;
  return config;
}

EngineRun run_engine(const std::vector<Op>& ops, std::uint64_t seed, bool faults, const std::string& crash_context,
                     const EnginePolicy& policy) {
  EngineRun run;
  run.result = sim::run_simulation(
      replay_config(seed), faults,
      [&](sim::Scheduler& sched) {
        checkers::Suite suite;
        model::ObserverScope scope(suite.observers());
        model::World w({.server = {.wsize = 16 * 1024u << sim::draw(3), .credits = 2 + sim::draw(7)},
                        .background_thresh_pages = 4u << sim::draw(4)});
        model::NetfsInode& inode = w.create_file({.cache = faults && sim::draw(2) == 0});
        inode.insert_range_drops_to_eof = policy.insert_range_drops_to_eof;
        w.server().forbid_data_loss();
        // fsx's buffers are anonymous memory on a machine without swap: a
        // user copy never comes up short.
        model::forbid_user_copy_faults();
        // A short write RPC makes the pinned finding
        // netfs-retry-resplit-keeps-to (docs/findings.md) far more likely,
        // which ends the replay before its transcript; reconnects (-EAGAIN)
        // stay on and reach it rarely.
        w.server().forbid_short_writes();
        sched.spawn("fsx", [&] {
          EngineTarget target(w, inode);
          run.transcript = run_transcript(ops, target);
        });
        sched.run();
        suite.liveness_phase(sched, w, 600 * sim::kSec);
      },
      crash_context);
  return run;
}

std::size_t first_difference(const std::string& expected, const std::string& actual, std::string* expected_line,
                             std::string* actual_line) {
  std::istringstream e(expected), a(actual);
  std::string el, al;
  for (std::size_t n = 1;; ++n) {
    const bool he = static_cast<bool>(std::getline(e, el));
    const bool ha = static_cast<bool>(std::getline(a, al));
    if (!he && !ha) return 0;
    if (he != ha || el != al) {
      *expected_line = he ? el : "(end of transcript)";
      *actual_line = ha ? al : "(end of transcript)";
      return n;
    }
  }
}

}  // namespace wbsim::fsx
