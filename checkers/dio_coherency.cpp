// D1-D5 of reference/invariants.md §B.4: the properties the direct I/O
// coherency designs are compared on (docs/dio.md).
#include <map>
#include <vector>

#include "checkers/checker.h"
#include "model/dio/local.h"

namespace wbsim::checkers {

WBSIM_CHECKER_IN(kDioExclusion, "dio-exclusion", "dio/*",
                 "netfs design: no buffered op and DIO in flight together on an inode; ODIRECT matches (D1)");
WBSIM_CHECKER_IN(kDioFreshCache, "dio-fresh-cache", "dio/*",
                 "after a DIO write completes no clean cached page over its range differs from the device (D2)");
WBSIM_CHECKER_IN(kDioReaddWindow, "dio-readd-window", "dio/*",
                 "no page is added over a DIO write's range between its shoot-down and its completion (D3)");
WBSIM_CHECKER_IN(kDioGupDeadlock, "dio-gup-self-deadlock", "dio/*",
                 "no task blocks on a coherency lock it (or its DIO) holds, e.g. through gup of its own mapping (D4)");
WBSIM_CHECKER_IN(kDioStarvation, "dio-starvation", "dio/*",
                 "every DIO, truncate, fallocate and buffered op returns within the starvation bound of virtual time (D5)");

namespace {

using model::LocalInode;
using model::LocalOp;
using model::loff_t;

class DioCoherencyChecker final : public Checker {
 public:
  void local_file_created(const LocalInode& inode) override { inodes_.push_back(&inode); }

  // --- D1 ---------------------------------------------------------------------
  void netfs_exclusion(const model::NetfsInode& inode, bool dio, bool enter) override {
    Excl& e = excl_[inode.ino];  // local and netfs files share the world's inode numbers
    int& n = dio ? e.dio : e.buffered;
    n += enter ? 1 : -1;
    SIM_ASSERT_CMP(n, >=, 0);
    WBSIM_CHECK(kDioExclusion, !(e.dio > 0 && e.buffered > 0),
                "ino {}: {} buffered op(s) and {} DIO(s) in flight together ({} {}; i_dio_count {})", inode.ino, e.buffered, e.dio,
                dio ? "DIO" : "buffered op", enter ? "entered" : "left", inode.i_dio_count);
    if (enter) {
      const bool odirect = sim::test_bit(model::NETFS_ICTX_ODIRECT, inode.flags);
      WBSIM_CHECK(kDioExclusion, dio ? odirect : !odirect && inode.i_dio_count == 0,
                  "ino {}: {} entered with NETFS_ICTX_ODIRECT {} and i_dio_count {}", inode.ino,
                  dio ? "DIO" : "buffered op", odirect ? "set" : "clear", inode.i_dio_count);
    }
  }

  // --- D3 ---------------------------------------------------------------------
  void local_dio_window_open(const LocalInode& inode, std::uint32_t dio, loff_t start, loff_t end) override {
    windows_[key(inode, dio)] = {start, end};
  }
  void local_folio_added(const LocalInode& inode, const model::Folio& f) override {
    for (const auto& [k, w] : windows_) {
      if (k >> 32 != inode.vfs.ino) continue;
      const bool overlaps = f.pos() <= w.end && f.pos() + static_cast<loff_t>(f.size()) > w.start;
      WBSIM_CHECK(kDioReaddWindow, !overlaps,
                  "ino {} ({}): folio {} (bytes {}..{}) added while DIO {} writing {}..{} was in flight, after its "
                  "shoot-down (Kent's re-add race)",
                  inode.vfs.ino, model::dio_policy_name(inode.policy), f.index, f.pos(),
                  f.pos() + static_cast<loff_t>(f.size()) - 1, k & 0xffffffffu, w.start, w.end);
    }
  }

  // --- D2 ---------------------------------------------------------------------
  void local_dio_window_close(const LocalInode& inode, std::uint32_t dio, std::int64_t ret) override {
    const auto it = windows_.find(key(inode, dio));
    SIM_ASSERT(it != windows_.end());
    const Window w = it->second;
    windows_.erase(it);
    if (ret < 0) return;
    // Another DIO write over the range may still change the device.
    for (const auto& [k, o] : windows_) {
      if (k >> 32 == inode.vfs.ino && o.start <= w.end && o.end >= w.start) return;
    }
    check_fresh(inode, w.start, w.end, fmt::format("DIO {} completed", dio));
  }

  // --- D4 ---------------------------------------------------------------------
  void local_coherency_wait(const LocalInode& inode, const char* what, bool self_held) override {
    WBSIM_CHECK(kDioGupDeadlock, !self_held,
                "ino {} ({}): fiber {} blocks on the {} that it, or the DIO it is submitting, holds: it can never be "
                "released",
                inode.vfs.ino, model::dio_policy_name(inode.policy), current_fiber(), what);
  }

  // --- D5 ---------------------------------------------------------------------
  void local_op_begin(const LocalInode& inode, LocalOp op, loff_t pos, std::uint64_t len) override {
    begun_[current_fiber()].push_back(sim::now());
  }
  void local_op_end(const LocalInode& inode, LocalOp op, loff_t pos, std::uint64_t len, std::int64_t ret) override {
    auto& stack = begun_[current_fiber()];
    SIM_ASSERT(!stack.empty());
    const sim::Time began = stack.back();
    stack.pop_back();
    if (op == LocalOp::mmap_read || op == LocalOp::mmap_write || op == LocalOp::fsync) return;
    const sim::Time bound = inode.fs->options().starvation_bound;
    WBSIM_CHECK(kDioStarvation, sim::now() - began <= bound,
                "ino {} ({}): {} at {}+{} took {} ms of virtual time (bound {} ms)", inode.vfs.ino,
                model::dio_policy_name(inode.policy), model::local_op_name(op), pos, len,
                (sim::now() - began) / sim::kMs, bound / sim::kMs);
  }

  void quiescent(model::World&) override {
    // At rest every clean page of every local file matches the device.
    for (const LocalInode* inode : inodes_) check_fresh(*inode, 0, INT64_MAX - 1, "at quiescence");
  }

 private:
  struct Excl {
    int buffered = 0;
    int dio = 0;
  };
  struct Window {
    loff_t start = 0;
    loff_t end = 0;
  };
  static std::uint64_t key(const LocalInode& inode, std::uint32_t dio) {
    return std::uint64_t{inode.vfs.ino} << 32 | dio;
  }

  void check_fresh(const LocalInode& inode, loff_t start, loff_t end, const std::string& when) {
    for (const auto& [index, f] : inode.vfs.mapping.folios) {
      const loff_t fpos = f->pos();
      if (fpos > end || fpos + static_cast<loff_t>(f->size()) <= start) continue;
      if (!model::folio_test_uptodate(*f) || model::folio_test_dirty(*f) || model::folio_test_writeback(*f) ||
          model::folio_test_locked(*f))
        continue;
      const loff_t stop = std::min({fpos + static_cast<loff_t>(f->size()), inode.vfs.i_size, end + 1});
      loff_t bad = -1;
      for (loff_t b = std::max(fpos, start); b < stop; ++b) {
        const std::uint8_t disk = static_cast<std::size_t>(b) < inode.disk.size() ? inode.disk[b] : 0;
        if (f->data[static_cast<std::size_t>(b - fpos)] != disk) {
          bad = b;
          break;
        }
      }
      const std::uint8_t disk = bad >= 0 && static_cast<std::size_t>(bad) < inode.disk.size() ? inode.disk[bad] : 0;
      WBSIM_CHECK(kDioFreshCache, bad < 0,
                  "ino {} ({}): {}: clean cached folio {} holds {:#04x} at byte {}, the device {:#04x} (a stale page)",
                  inode.vfs.ino, model::dio_policy_name(inode.policy), when, f->index,
                  bad >= 0 ? f->data[static_cast<std::size_t>(bad - fpos)] : 0, bad, disk);
    }
  }

  std::vector<const LocalInode*> inodes_;
  std::map<std::uint32_t, Excl> excl_;
  std::map<std::uint64_t, Window> windows_;
  std::map<sim::FiberId, std::vector<sim::Time>> begun_;
};

}  // namespace

std::unique_ptr<Checker> make_dio_coherency_checker() { return std::make_unique<DioCoherencyChecker>(); }

}  // namespace wbsim::checkers
