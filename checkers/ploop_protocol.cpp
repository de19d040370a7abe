// P1-P7 of reference/invariants.md §B.5: the ordering contract of dm-ploop's
// index writeback, its md page state machine, flushes, ENOSPC and cluster
// locks (docs/ploop.md). Crash consistency is ploop_crash.cpp.
#include <map>
#include <set>
#include <vector>

#include "checkers/checker.h"
#include "model/ploop/ploop.h"

namespace wbsim::checkers {

WBSIM_CHECKER_IN(kPloopDataBeforeAck, "ploop-data-before-ack", "ploop/*",
                 "an allocating write completes only after its BAT page write and the flush after it (P1)");
WBSIM_CHECKER_IN(kPloopPublish, "ploop-publish-before-ack", "ploop/*",
                 "an allocating write completes only once the in-memory BAT maps its cluster (P2)");
WBSIM_CHECKER_IN(kPloopMdState, "ploop-md-state", "ploop/*", "an md page is never dirty and under writeback at once (P3)");
WBSIM_CHECKER_IN(kPloopBatHoles, "ploop-bat-holes", "ploop/*",
                 "at rest every file cluster is a hole or mapped exactly once, md pages idle (P4)");
WBSIM_CHECKER_IN(kPloopFlush, "ploop-flush", "ploop/*",
                 "a flush pio ends only after an fsync of the image that began after it was queued, with its status (P5)");
WBSIM_CHECKER_IN(kPloopEnospc, "ploop-enospc", "ploop/*",
                 "a write that hit ENOSPC is parked, not failed, while the device is not suspending (P6)");
WBSIM_CHECKER_IN(kPloopClusterLock, "ploop-cluster-lock", "ploop/*",
                 "no pio reaches the image file for a cluster another pio holds locked (P7)");

namespace {

using model::BlkStatus;
using model::MdPage;
using model::Pio;
using model::Ploop;
using model::PloopIndexWb;

class PloopProtocolChecker final : public Checker {
 public:
  void ploop_created(const Ploop& p) override { devices_.push_back(&p); }

  // --- P1, P2 ------------------------------------------------------------------
  void ploop_piwb_stage(const Ploop& p, const PloopIndexWb& piwb, int stage, BlkStatus s) override {
    Stages& st = piwbs_[key(p, piwb.id)];
    if (stage == 1) st.md_written = s == BlkStatus::ok;
    if (stage == 2) st.flushed = s == BlkStatus::ok && st.md_written;
  }
  void ploop_pio_end(const Ploop& p, const Pio& pio) override {
    if (pio.bi_op == model::PioOp::flush) check_flush_end(p, pio);
    if (!pio.is_data_alloc || pio.bi_status != BlkStatus::ok || pio.piwb == nullptr) return;
    const Stages& st = piwbs_[key(p, pio.piwb->id)];
    WBSIM_CHECK(kPloopDataBeforeAck, st.md_written && st.flushed,
                "ploop {}: data pio {} (cluster {}) completes while its index writeback piwb {} has {}", p.id, pio.id,
                pio.clu, pio.piwb->id, !st.md_written ? "not written the md page" : "not flushed after the md page write");
    WBSIM_CHECK(kPloopPublish, model::ploop_bat_entry(p, pio.clu) != model::kBatEntryNone,
                "ploop {}: data pio {} completes before the in-memory BAT maps cluster {}", p.id, pio.id, pio.clu);
  }

  // --- P3 -----------------------------------------------------------------------
  void ploop_md_status(const Ploop& p, const MdPage& md, unsigned old_status) override {
    WBSIM_CHECK(kPloopMdState, !((md.status & model::MD_DIRTY) && (md.status & model::MD_WRITEBACK)),
                "ploop {}: md page {} dirty and under writeback at once (status {:#x} -> {:#x}): redirtied while its "
                "writeback is in flight",
                p.id, md.id, old_status, md.status);
  }

  // --- P5 -----------------------------------------------------------------------
  void ploop_flush_queued(const Ploop& p, const Pio& pio) override { queued_[key(p, pio.id)] = ++seq_; }
  void ploop_fsync(const Ploop& p, bool begin, int ret) override {
    Fsync& f = fsync_[p.id];
    if (begin) {
      f.running_since = ++seq_;
    } else {
      f.last = {f.running_since, ret};
    }
  }
  void check_flush_end(const Ploop& p, const Pio& pio) {
    const auto q = queued_.find(key(p, pio.id));
    if (q == queued_.end()) return;  // not a flush the fsync worker was given
    const Fsync& f = fsync_[p.id];
    const bool covered = f.last.began > q->second;
    WBSIM_CHECK(kPloopFlush, covered, "ploop {}: flush pio {} ends before any fsync of the image that began after it was queued",
                p.id, pio.id);
    const BlkStatus want = f.last.ret == 0 ? BlkStatus::ok : model::errno_to_blk_status(f.last.ret);
    WBSIM_CHECK(kPloopFlush, pio.bi_status == want, "ploop {}: flush pio {} ends {} after an fsync that returned {}", p.id,
                pio.id, model::blk_status_name(pio.bi_status), f.last.ret);
    queued_.erase(q);
  }

  // --- P6 -----------------------------------------------------------------------
  void ploop_rq_end(const Ploop& p, const Pio& pio, BlkStatus s, bool delayed) override {
    WBSIM_CHECK(kPloopEnospc, s != BlkStatus::nospc || delayed || p.wants_suspend,
                "ploop {}: request {} fails upward with ENOSPC while the device is not suspending", p.id,
                pio.prq != nullptr ? pio.prq->id : 0);
  }

  // --- P7 -----------------------------------------------------------------------
  void ploop_cluster_lock(const Ploop& p, std::uint32_t clu, const Pio& pio, bool locked) override {
    if (locked) {
      locks_[key(p, clu)] = pio.id;
    } else {
      locks_.erase(key(p, clu));
    }
  }
  void ploop_pio_to_file(const Ploop& p, const Pio& pio, bool is_write) override {
    // A COW's aux pio works for its write's device cluster (its own sector
    // is a file cluster's); others name theirs when hashed or mapped.
    const std::uint32_t clu = pio.cow != nullptr ? pio.cow->cow_pio->clu : pio.clu != UINT32_MAX ? pio.clu : pio.dev_clu;
    if (clu == UINT32_MAX) return;  // metadata: the md page writes
    const auto it = locks_.find(key(p, clu));
    // The lock holder may use the cluster, and so may the copy its COW makes.
    const bool holder = it != locks_.end() && (it->second == pio.id || (pio.cow != nullptr && pio.cow->cow_pio->id == it->second));
    WBSIM_CHECK(kPloopClusterLock, it == locks_.end() || holder, "ploop {}: pio {} {} cluster {} while pio {} holds it locked",
                p.id, pio.id, is_write ? "writes" : "reads", clu, it == locks_.end() ? 0 : it->second);
  }

  // --- P4 -----------------------------------------------------------------------
  void quiescent(model::World&) override {
    for (const Ploop* p : devices_) check_at_rest(*p);
  }

 private:
  struct Stages {
    bool md_written = false;
    bool flushed = false;
  };
  struct Fsync {
    std::uint64_t running_since = 0;
    struct {
      std::uint64_t began = 0;
      int ret = 0;
    } last;
  };
  static std::uint64_t key(const Ploop& p, std::uint32_t id) { return std::uint64_t{p.id} << 32 | id; }

  void check_at_rest(const Ploop& p) {
    std::map<std::uint32_t, std::uint32_t> owner;  // file cluster -> device cluster
    for (std::uint32_t clu = 0; clu < p.nr_bat_entries; ++clu) {
      const std::uint32_t dst = model::ploop_bat_entry(p, clu);
      if (dst == model::kBatEntryNone || model::ploop_bat_level(p, clu) != p.top_level()) continue;  // a snapshot's
      const auto [it, fresh] = owner.emplace(dst, clu);
      WBSIM_CHECK(kPloopBatHoles, fresh, "ploop {}: file cluster {} is mapped by clusters {} and {}", p.id, dst, it->second,
                  clu);
      WBSIM_CHECK(kPloopBatHoles, dst >= p.nr_bat_clusters(), "ploop {}: cluster {} maps file cluster {}, inside the BAT ({} clusters)",
                  p.id, clu, dst, p.nr_bat_clusters());
      WBSIM_CHECK(kPloopBatHoles, dst < p.holes_bitmap.size() && !p.holes_bitmap[dst],
                  "ploop {}: cluster {} maps file cluster {}, which the holes bitmap has free", p.id, clu, dst);
    }
    for (std::uint32_t dst = p.nr_bat_clusters(); dst < p.holes_bitmap.size(); ++dst) {
      WBSIM_CHECK(kPloopBatHoles, p.holes_bitmap[dst] || owner.count(dst) != 0,
                  "ploop {}: file cluster {} is neither free nor mapped (leaked)", p.id, dst);
    }
    for (const auto& [id, md] : p.bat_entries) {
      WBSIM_CHECK(kPloopBatHoles, md->status == 0 && md->piwb == nullptr && md->wait_list.empty(),
                  "ploop {}: md page {} not idle at rest (status {:#x}, {} pios waiting)", p.id, id, md->status,
                  md->wait_list.size());
    }
  }

  std::vector<const Ploop*> devices_;
  std::map<std::uint64_t, Stages> piwbs_;
  std::map<std::uint64_t, std::uint64_t> queued_;
  std::map<std::uint32_t, Fsync> fsync_;
  std::map<std::uint64_t, std::uint32_t> locks_;
  std::uint64_t seq_ = 0;
};

}  // namespace

std::unique_ptr<Checker> make_ploop_protocol_checker() { return std::make_unique<PloopProtocolChecker>(); }

}  // namespace wbsim::checkers
