// Checked runs for planted-violation tests: a simulation with every
// checker installed, as a scenario has.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "checkers/suite.h"
#include "model/events.h"
#include "model/netfs/netfs.h"
#include "model/world.h"
#include "sim/run.h"
#include "tests/sim_test_util.h"

namespace wbsim::test::checked {

// A run with every checker installed, as a scenario has, under `options`
// (strict modes) and with the named bug switches on.
inline sim::RunResult run_checked_with(const checkers::Options& options,
                                       const std::function<void(sim::Scheduler&, checkers::Suite&)>& body,
                                       std::vector<std::string> bugs = {}) {
  sim::SchedulerConfig config = test::make_config(1);
  config.bugs = std::move(bugs);
  return sim::run_simulation(config, /*faults=*/false,
                             [&](sim::Scheduler& s) {
                               checkers::Suite suite(options);
                               model::ObserverScope scope(suite.observers());
                               body(s, suite);
                             },
                             "");
}

// A run with every checker installed, as a scenario has.
inline sim::RunResult run_checked(const std::function<void(sim::Scheduler&, checkers::Suite&)>& body,
                                  std::vector<std::string> bugs = {}) {
  return run_checked_with({}, body, std::move(bugs));
}

inline std::string checker_of(const sim::RunResult& r) { return r.finding ? r.finding->checker : "none"; }
inline std::string message_of(const sim::RunResult& r) { return r.finding ? r.finding->message : ""; }

// A checked run of one fiber `name` doing `body` in a world without a
// flusher, over one file.
inline sim::RunResult in_one_fiber(const char* name, const std::function<void(model::World&, model::NetfsInode&)>& body) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn(name, [&] { body(w, inode); });
    s.run();
  });
}

// Points a subrequest's iterator at its residual range, as the issuer does
// before (re)issuing it.
inline void point_iter(model::NetfsIoSubrequest& sr) {
  sr.io_iter_start = sr.start + static_cast<model::loff_t>(sr.transferred);
  sr.io_iter_count = sr.len - sr.transferred;
}

}  // namespace wbsim::test::checked
