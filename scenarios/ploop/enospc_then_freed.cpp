// Why: a write that meets ENOSPC in the image's filesystem must not fail
//      upward while the device is not suspending: the request is re-armed
//      and parked, and resubmitted after PLOOP_ENOSPC_TIMEOUT (P6); once
//      space is freed it completes and its data is there.
// How: an image file with room for only a few clusters; writers allocate
//      more; after a while the administrator frees space; reads back.
#include "scenarios/ploop_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(ploop_enospc_then_freed, "ploop/enospc_then_freed", .pct_steps_hint = 2000,
               .liveness_budget = 300 * sim::kSec, .fault_sites_off = "ploop.file_eio,ploop.fsync_eio",
               .why = "writes that hit ENOSPC are parked and complete once space is freed",
               .params = {{"writers", 2, 1, 4, "writer fibers"}, {"rounds", 3, 1, 4, "cluster writes per writer"}}) {
  model::World w;
  model::Ploop dev(w, {.nr_bat_entries = 64, .file = {.capacity_blocks = 3 + sim::draw(3)}});
  const std::uint32_t per_clu = dev.clu_size() / model::kSectorSize;
  for (std::uint32_t k = 0; k < s.param("writers"); ++k) {
    s.spawn(fmt::format("writer{}", k), [&, k] {
      for (std::uint32_t round = 0; s.more("rounds", round); ++round) {
        const std::uint32_t clu = 4 * k + round;
        const model::BlkStatus st = ploop_write(dev, std::uint64_t{clu} * per_clu, ploop_data(80 + 4 * k + round, per_clu));
        SIM_ASSERT_MSG(st == model::BlkStatus::ok, "write to cluster {} ended {}", clu, model::blk_status_name(st));
      }
    });
  }
  s.spawn("admin", [&] {
    sim::sleep((5 + sim::draw(30)) * sim::kSec);
    dev.file->set_capacity(0);  // space freed
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
