// Helpers of the dm-ploop tests (ploop_test.cpp, ploop_checkers_test.cpp):
// a device under every checker, and block I/O to it.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "checkers/suite.h"
#include "model/events.h"
#include "model/ploop/ploop.h"
#include "model/world.h"
#include "sim_test_util.h"

namespace wbsim::test {

using model::BlkStatus;
using model::PioOp;
using model::PloopBio;

inline std::vector<std::uint8_t> fill(std::uint8_t v, std::size_t n) { return std::vector<std::uint8_t>(n, v); }

// A device of `clusters` 4 KiB clusters, every checker installed, the body's
// fibers, then the liveness phase.
inline sim::RunResult run_ploop(std::uint32_t clusters, const std::function<void(sim::Scheduler&, model::Ploop&)>& body,
                         std::vector<std::string> bugs = {}, std::uint64_t seed = 1) {
  sim::SchedulerConfig config = test::make_config(seed);
  config.bugs = std::move(bugs);
  return sim::run_simulation(config, /*faults=*/false,
                             [&](sim::Scheduler& s) {
                               checkers::Suite suite;
                               model::ObserverScope scope(suite.observers());
                               model::World w;
                               model::Ploop dev(w, {.nr_bat_entries = clusters});
                               body(s, dev);
                               s.run();
                               suite.liveness_phase(s, w, 300 * sim::kSec);
                             },
                             "");
}

// The checker that fired, or "none".
inline std::string checker_or_none(const sim::RunResult& r) { return r.finding ? r.finding->checker : "none"; }

inline BlkStatus write(model::Ploop& dev, std::uint32_t clu, std::vector<std::uint8_t> data, bool fua = false) {
  return model::ploop_submit_bio_wait(
      dev, PloopBio{.op = PioOp::write, .pos = static_cast<model::loff_t>(clu) * dev.clu_size(), .data = std::move(data), .fua = fua});
}

inline std::vector<std::uint8_t> read(model::Ploop& dev, std::uint32_t clu) {
  std::vector<std::uint8_t> out;
  EXPECT_EQ(model::ploop_submit_bio_wait(
                dev, PloopBio{.op = PioOp::read, .pos = static_cast<model::loff_t>(clu) * dev.clu_size(), .len = dev.clu_size()},
                &out),
            BlkStatus::ok);
  return out;
}

// An allocating write, a FUA overwrite of it, a plain write to a new
// cluster; the checkers watch.
// An allocating write, an overwrite made durable by a flush, a partial
// allocating write.
inline void workload(sim::Scheduler& s, model::Ploop& dev) {
  s.spawn("app", [&] {
    write(dev, 1, fill(0x50, dev.clu_size()));
    write(dev, 1, fill(0x51, dev.clu_size()));
    model::ploop_submit_bio_wait(dev, PloopBio{.op = PioOp::flush});
    write(dev, 2, fill(0x52, 512));
  });
}

}  // namespace wbsim::test
