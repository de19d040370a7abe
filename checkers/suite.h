//! The checker suite: every checker, on by default, installed for one run.
//!
//!     checkers::Suite suite(options);
//!     model::ObserverScope scope(suite.observers());
//!     ... safety phase(s) ...
//!     suite.liveness_phase(sched, world, budget);  // heal, drain, check quiescence
#pragma once

#include <memory>
#include <vector>

#include "checkers/checker.h"
#include "sim/types.h"

namespace wbsim::sim {
class Scheduler;
}

namespace wbsim::checkers {

class Shadow;

class Suite {
 public:
  explicit Suite(const Options& options = {});
  ~Suite();
  Suite(const Suite&) = delete;
  Suite& operator=(const Suite&) = delete;

  std::vector<model::Observer*>& observers() { return observers_; }

  // The liveness phase: faults healed and stalls released, every file
  // fsynced through a description open since its creation, the flusher
  // stopped; the drain must finish within `budget` of virtual time. Then
  // every checker gives its verdict on the quiescent world.
  void liveness_phase(sim::Scheduler& sched, model::World& w, sim::Time budget);
  // The verdicts alone (the world must already be quiescent).
  void quiescent(model::World& w);

  // Worlds created in this run that have not had their liveness phase.
  int worlds_without_liveness() const;

 private:
  class WorldTracker;
  std::unique_ptr<Shadow> shadow_;
  std::unique_ptr<WorldTracker> tracker_;
  std::vector<std::unique_ptr<Checker>> checkers_;  // in verdict order
  std::vector<model::Observer*> observers_;         // shadow first
};

}  // namespace wbsim::checkers
