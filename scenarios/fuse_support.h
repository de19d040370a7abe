//! Helpers shared by the FUSE scenarios.
#pragma once

#include <functional>
#include <string>

#include "model/fuse/fuse.h"
#include "scenarios/netfs_support.h"
#include "sim/completion.h"

namespace wbsim::scenarios {

// Runs `op` in a fiber named `name`, watched by a second fiber: if `op` has
// not returned `bound` of virtual time after it started, the run fails under
// `liveness` with "`what` has not returned ...: 'name' is blocked in ..."
// (F2, F4, F6: calls that must return whatever the server does), naming
// where the call is stuck.
inline void spawn_bounded(Context& s, const char* name, sim::Time bound, const char* what,
                          std::function<void()> op) {
  auto returned = std::make_shared<sim::Completion>(std::string(name) + ".returned");
  const sim::FiberId id = s.spawn(name, [returned, op = std::move(op)] {
    op();
    returned->complete();
  });
  s.spawn(std::string(name) + "-watchdog", [returned, bound, what, id, name] {
    const bool in_time = returned->wait_timeout(bound);
    SIM_CHECK("liveness", in_time, "{} has not returned {} s after it was called: '{}' is {}", what,
              bound / sim::kSec, name, sim::Scheduler::current().describe_wait(id));
  });
}

}  // namespace wbsim::scenarios
