#include "fsx/fuse_replay.h"

#include <fmt/format.h>

#include "checkers/suite.h"
#include "fsx/engine.h"
#include "fsx/reference.h"
#include "fsx/transcript.h"
#include "model/events.h"
#include "model/fuse/fuse.h"
#include "model/mm/pressure.h"
#include "model/world.h"
#include "sim/assert.h"

namespace wbsim::fsx {

namespace {

constexpr std::uint32_t kFallocCollapseRange = 0x08;
constexpr std::uint32_t kFallocInsertRange = 0x20;

std::uint64_t hash(const std::vector<std::uint8_t>& bytes) { return fnv1a64(bytes); }

// The recording program on a FUSE file, with the reference file beside it
// so the bytes made durable can be judged the moment they are.
class FuseTarget final : public Target {
 public:
  FuseTarget(model::World& w, model::FuseConn& fc, model::FuseInode& fi, FuseRun& run)
      : w_(w), fc_(fc), fi_(fi), run_(run) {
    const int err = model::fuse_create_open(fc_, fi_, &file_);
    SIM_ASSERT_CMP(err, ==, 0);
  }

  std::uint64_t size() override { return static_cast<std::uint64_t>(fi_.i_size); }

  ReadResult read(std::uint64_t offset, std::uint64_t length, Access) override {
    pressure();
    ReadResult r;  // mapread is a pread too, as the recordings made it
    const std::int64_t n = model::fuse_file_read_iter(file_, pos(offset), length, &r.data);
    if (n < 0) r.rc = static_cast<int>(n);
    return r;
  }

  int write(std::uint64_t offset, std::span<const std::uint8_t> data, Access access) override {
    pressure();
    ref_.write(offset, data, access);
    if (access == Access::mapped) {
      const std::uint64_t start = offset & ~(model::kPageSize - 1);  // the page below the offset
      mapped_ = true;
      return model::fuse_mapped_write(file_, pos(start), pos(offset), data);
    }
    const std::int64_t n = model::fuse_file_write_iter(file_, pos(offset), data);
    if (n < 0) return static_cast<int>(n);
    return n == static_cast<std::int64_t>(data.size()) ? 0 : -5;
  }

  int truncate(std::uint64_t new_size) override {
    pressure();
    ref_.truncate(new_size);
    return model::fuse_ftruncate(file_, pos(new_size));
  }
  int fallocate(std::uint64_t offset, std::uint64_t length, bool keep_size) override {
    pressure();
    ref_.fallocate(offset, length, keep_size);
    return model::fuse_file_fallocate(file_, keep_size ? model::FALLOC_FL_KEEP_SIZE : 0, pos(offset), pos(length));
  }
  int punch_hole(std::uint64_t offset, std::uint64_t length) override {
    pressure();
    ref_.punch_hole(offset, length);
    return model::fuse_file_fallocate(file_, model::FALLOC_FL_PUNCH_HOLE | model::FALLOC_FL_KEEP_SIZE, pos(offset),
                                      pos(length));
  }
  int zero_range(std::uint64_t offset, std::uint64_t length, bool keep_size) override {
    pressure();
    ref_.zero_range(offset, length, keep_size);
    return model::fuse_file_fallocate(file_, model::FALLOC_FL_ZERO_RANGE | (keep_size ? model::FALLOC_FL_KEEP_SIZE : 0),
                                      pos(offset), pos(length));
  }
  // FUSE refuses both modes before sending anything: nothing changes.
  int collapse_range(std::uint64_t offset, std::uint64_t length) override {
    return model::fuse_file_fallocate(file_, kFallocCollapseRange, pos(offset), pos(length));
  }
  int insert_range(std::uint64_t offset, std::uint64_t length) override {
    return model::fuse_file_fallocate(file_, kFallocInsertRange, pos(offset), pos(length));
  }
  // copy_file_range in a loop until done or a 0 return, for the length the
  // log gives: each call is clipped at the source's EOF as it is then, so a
  // copy that extended the file may copy again.
  int copy_range(std::uint64_t src, std::uint64_t, std::uint64_t dest) override {
    pressure();
    std::uint64_t left = op_.length;
    while (left > 0) {
      const std::int64_t n = model::vfs_copy_file_range(file_, pos(src), file_, pos(dest), left);
      if (n < 0) return static_cast<int>(n);
      if (n == 0) break;
      const auto copied = static_cast<std::uint64_t>(n);
      ref_.copy_range(src, copied, dest);
      left -= copied;
      src += copied;
      dest += copied;
    }
    return 0;
  }

  void close_open() override {
    pressure();
    model::fuse_fsync(file_, 0, INT64_MAX, false);
    model::fuse_fadvise_dontneed(file_);
    model::fuse_close(file_);
    file_ = model::FuseFile{};
    const int err = model::fuse_open(fc_, fi_, &file_);
    SIM_ASSERT_CMP(err, ==, 0);
  }

  void before_op(const Op& op) override { op_ = op; }

  void after_op(const Op& op) override {
    model::fuse_getattr(file_, nullptr);
    model::fuse_getxattr(file_, fmt::format("user.fsxop.{}.{}", op.number, op_name(op.kind)));
    // munmap wrote the whole file back; close_open's fsync did.
    if (mapped_ || op.close_open) durable(fmt::format("{}", op.number));
    mapped_ = false;
  }

  std::vector<std::uint8_t> final_contents() override {
    model::fuse_fsync(file_, 0, INT64_MAX, false);
    durable("final");
    model::fuse_getxattr(file_, "user.fsxop.final");
    std::vector<std::uint8_t> data;
    model::fuse_file_read_iter(file_, 0, static_cast<std::uint64_t>(fi_.i_size), &data);
    model::fuse_close(file_);
    return data;
  }

 private:
  static model::loff_t pos(std::uint64_t v) { return static_cast<model::loff_t>(v); }

  // The server's file must hold what the application wrote.
  void durable(const std::string& at) {
    const auto& server = fi_.server_data;
    const auto& want = ref_.contents();
    SIM_ASSERT_MSG(server == want, "after op {} the server's file ({} bytes, {:016x}) is not the file written "
                   "({} bytes, {:016x})", at, server.size(), hash(server), want.size(), hash(want));
    run_.durable.push_back(fmt::format("{} {:016x}", at, hash(server)));
  }

  // Between operations: reclaim of clean folios or a writeback kick when
  // their fault sites are on, and a little virtual time.
  void pressure() {
    model::mm_pressure_point(fi_.mapping, w_.flusher());
    sim::sleep(sim::draw(4) * 100 * sim::kUs);
  }

  model::World& w_;
  model::FuseConn& fc_;
  model::FuseInode& fi_;
  FuseRun& run_;
  model::FuseFile file_;
  ReferenceFile ref_;
  Op op_;  // the op being executed, as the log gives it
  bool mapped_ = false;
};

}  // namespace

bool fuse_line_in_view(const std::string& line) {
  const auto starts = [&](const char* p) { return line.rfind(p, 0) == 0; };
  if (starts("READ ") || starts("GETATTR ")) return false;
  if (starts("GETXATTR ")) return line.find(" name=user.fsxop.") != std::string::npos;
  if (starts("SETATTR ")) return line.find("valid=") != std::string::npos && line.find("SIZE") != std::string::npos;
  return true;
}

std::string fuse_view_op_at(const std::vector<std::string>& view, std::size_t index) {
  static const std::string marker = "name=user.fsxop.";
  for (std::size_t i = index; i < view.size(); ++i) {
    const auto at = view[i].find(marker);
    if (at == std::string::npos) continue;
    const auto from = at + marker.size();
    return view[i].substr(from, view[i].find('.', from) - from);
  }
  return "final";
}

FuseRun run_fuse(const std::vector<Op>& ops, FuseMode mode, std::uint64_t seed, bool faults,
                 const std::string& crash_context) {
  FuseRun run;
  run.result = sim::run_simulation(
      replay_config(seed), faults,
      [&](sim::Scheduler& sched) {
        checkers::Suite suite;
        model::ObserverScope scope(suite.observers());
        // No writeback but the replay's own (vm.dirty_writeback_centisecs 0,
        // a far expiry): the flusher only runs when a fault kicks it.
        model::World w({.background_thresh_pages = 1u << 30, .dirty_thresh_pages = 1u << 30});
        model::FuseConn fc(w, {.client = model::FuseClient::v6_18,
                               .server_threads = 1,
                               .max_pages = 256,
                               .writeback_cache = mode == FuseMode::wb});
        model::FuseInode& fi = fc.create_inode_618();
        sched.spawn("fsx", [&] {
          FuseTarget target(w, fc, fi, run);
          run.transcript = run_transcript(ops, target);
        });
        sched.run();
        suite.liveness_phase(sched, w, 600 * sim::kSec);
        run.log = fc.request_log();
        for (const auto& line : run.log)
          if (fuse_line_in_view(line)) run.view.push_back(line);
      },
      crash_context);
  return run;
}

}  // namespace wbsim::fsx
