// Why: dm suspend stops new requests from reaching the target and waits for
//      those inside; pending ENOSPC requests come back first (presuspend)
//      or the device could never suspend; resume submits what was held.
//      Nothing is lost or completed twice across it.
// How: writers and a flusher while a control fiber suspends and resumes
//      the device twice; swarm faults stall the file and cut the power.
#include "scenarios/ploop_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(ploop_suspend_during_io, "ploop/suspend_during_io", .pct_steps_hint = 3000,
               .fault_sites_off = "ploop.file_eio,ploop.fsync_eio",
               .why = "suspend and resume under I/O hold and release requests without losing them") {
  model::World w;
  model::Ploop dev(w, {.nr_bat_entries = 32});
  const std::uint32_t per_clu = dev.clu_size() / model::kSectorSize;
  for (std::uint32_t k = 0; k < 2; ++k) {
    s.spawn(fmt::format("writer{}", k), [&, k] {
      for (std::uint32_t round = 0; round < 4; ++round) {
        const std::uint32_t clu = sim::draw(10);
        const model::BlkStatus st =
            ploop_write(dev, std::uint64_t{clu} * per_clu, ploop_data(50 + 5 * k + round, per_clu), false,
                        /*preflush=*/sim::draw(4) == 0);
        SIM_ASSERT_MSG(st == model::BlkStatus::ok, "write ended {}", model::blk_status_name(st));
      }
    });
  }
  s.spawn("control", [&] {
    for (std::uint32_t round = 0; round < 2; ++round) {
      sim::sleep(sim::draw(2000) * sim::kUs);
      model::ploop_suspend(dev);
      sim::sleep(sim::draw(2000) * sim::kUs);
      model::ploop_resume(dev);
    }
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
