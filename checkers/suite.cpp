#include "checkers/suite.h"

#include <fmt/format.h>

#include "checkers/shadow.h"
#include "model/netfs/netfs.h"
#include "model/world.h"
#include "sim/completion.h"

namespace wbsim::checkers {

const sim::CheckerInfo& liveness_checker();  // liveness.cpp

class Suite::WorldTracker final : public Checker {
 public:
  void world_created(model::World& w) override { ++created; }
  int created = 0;
  int drained = 0;
};

Suite::Suite(const Options& options)
    : shadow_(std::make_unique<Shadow>()), tracker_(std::make_unique<WorldTracker>()) {
  // Verdict order at quiescence: the most specific diagnosis first.
  checkers_.push_back(make_liveness_checker());
  checkers_.push_back(make_retry_checker());
  checkers_.push_back(make_folio_state_checker());
  checkers_.push_back(make_request_state_checker());
  checkers_.push_back(make_results_checker());
  checkers_.push_back(make_app_contract_checker());
  checkers_.push_back(make_server_protocol_checker());
  checkers_.push_back(make_zero_point_checker());
  checkers_.push_back(make_coalescing_checker());
  checkers_.push_back(make_ordered_extension_checker(*shadow_, options));
  checkers_.push_back(make_data_integrity_checker(*shadow_));
  checkers_.push_back(make_writeback_truth_checker());
  checkers_.push_back(make_writeback_control_checker());
  checkers_.push_back(make_dirty_throttle_checker());
  checkers_.push_back(make_mapped_access_checker());
  checkers_.push_back(make_write_group_checker());
  checkers_.push_back(make_dio_coherency_checker());
  checkers_.push_back(make_dio_integrity_checker());
  checkers_.push_back(make_ploop_protocol_checker());
  checkers_.push_back(make_ploop_crash_checker());
  // The shadow sees each event before the checkers that consult it.
  observers_.push_back(shadow_.get());
  observers_.push_back(tracker_.get());
  for (auto& c : checkers_) observers_.push_back(c.get());
}

Suite::~Suite() = default;

int Suite::worlds_without_liveness() const { return tracker_->created - tracker_->drained; }

void Suite::quiescent(model::World& w) {
  for (auto& c : checkers_) c->quiescent(w);
}

namespace {

// What is still not drained, for the watchdog's finding.
std::string pending_summary(const model::World& w) {
  std::string out;
  int listed = 0;
  for (const auto& inode : w.files()) {
    for (const auto& [index, f] : inode->mapping.folios) {
      if (!model::folio_test_dirty(*f) && !model::folio_test_writeback(*f)) continue;
      if (listed++ < 4)
        out += fmt::format(" file {} folio {} (index {}){}{};", inode->ino, f->id, index,
                           model::folio_test_dirty(*f) ? " dirty" : "", model::folio_test_writeback(*f) ? " writeback" : "");
    }
    for (const auto& r : inode->requests) {
      if (r->test(model::NETFS_RREQ_IN_PROGRESS) && listed++ < 8) out += fmt::format(" R={:08x} in progress;", r->debug_id);
    }
  }
  return out.empty() ? std::string(" nothing dirty or in flight, but the final fsync has not returned") : out;
}

}  // namespace

void Suite::liveness_phase(sim::Scheduler& sched, model::World& w, sim::Time budget) {
  w.heal();
  sim::Completion drained{"liveness.drained"};
  sched.spawn("final-fsync", [&] {
    for (const auto& inode : w.files()) {
      model::NetfsFile f{inode.get(), 0};
      model::netfs_fsync(f);
    }
    w.drain();
    w.shutdown();
    drained.complete();
  });
  sched.spawn("liveness-watchdog", [&] {
    const bool in_time = drained.wait_timeout(budget);
    WBSIM_CHECK(liveness_checker(), in_time, "writeback did not drain within {} ms of healing:{}", budget / sim::kMs,
                pending_summary(w));
  });
  sched.run();
  ++tracker_->drained;
  quiescent(w);
}

}  // namespace wbsim::checkers
