// Why: a REQ_FUA write must be durable when it completes; a power cut
//      right after the acknowledgement must find the data through the
//      durable BAT. dm gives the device's queue FUA (the target sets
//      flush_supported), so REQ_FUA reaches the target, which at the pin
//      drops it: most seeds reach the pinned finding
//      ploop-fua-dropped (docs/ploop.md, F11).
// How: FUA and plain writes, new clusters and overwrites, from two fibers;
//      the power is cut (and the image re-opened and read back) at every
//      durable point and after every acknowledgement that promised
//      durability; swarm faults stall the file and cut power at random.
#include "scenarios/ploop_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(ploop_fua_power_cut, "ploop/fua_power_cut", .pct_steps_hint = 2000,
               .fault_sites_off = "ploop.file_eio,ploop.fsync_eio",
               .why = "every acknowledged FUA write reads back after a power cut") {
  model::World w;
  model::Ploop dev(w, {.nr_bat_entries = 32});
  const std::uint32_t per_clu = dev.clu_size() / model::kSectorSize;
  for (std::uint32_t k = 0; k < 2; ++k) {
    s.spawn(fmt::format("fua{}", k), [&, k] {
      for (std::uint32_t round = 0; round < 3; ++round) {
        const std::uint32_t clu = sim::draw(8);
        ploop_write(dev, std::uint64_t{clu} * per_clu + sim::draw(per_clu), ploop_data(40 + 4 * k + round, 1),
                    /*fua=*/sim::draw(3) != 0);
      }
    });
  }
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
