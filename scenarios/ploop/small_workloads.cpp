// Why: bounded black-box crash testing in the spirit of ACE/CrashMonkey:
//      small workloads (at most three operations) from a fixed vocabulary,
//      with the power cut at every persistence point and after every
//      durable acknowledgement, each cut checked over every subset of the
//      disk cache's volatile operations (all of them when there are at
//      most four).
// How: one fiber runs up to three operations drawn from: write to a new
//      cluster, overwrite part of a mapped one, FUA write, PREFLUSH write,
//      flush, discard; then a flush. No swarm faults: the cuts are the
//      faults.
#include "scenarios/ploop_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(ploop_small_workloads, "ploop/small_workloads", .faults = false, .pct_steps_hint = 500,
               .why = "every small workload survives a power cut at every persistence point") {
  model::World w;
  model::Ploop dev(w, {.nr_bat_entries = 8});
  const std::uint32_t per_clu = dev.clu_size() / model::kSectorSize;
  s.spawn("workload", [&] {
    const std::uint32_t ops = 1 + sim::draw(3);
    for (std::uint32_t i = 0; i < ops; ++i) {
      const std::uint32_t clu = sim::draw(3);
      switch (sim::draw(6)) {
        case 0: ploop_write(dev, std::uint64_t{clu} * per_clu, ploop_data(10 + i, per_clu)); break;
        case 1: ploop_write(dev, std::uint64_t{clu} * per_clu + sim::draw(per_clu), ploop_data(10 + i, 1)); break;
        case 2: ploop_write(dev, std::uint64_t{clu} * per_clu, ploop_data(10 + i, per_clu), /*fua=*/true); break;
        case 3: ploop_write(dev, std::uint64_t{clu} * per_clu, ploop_data(10 + i, 2), false, /*preflush=*/true); break;
        case 4: ploop_flush(dev); break;
        case 5: ploop_discard(dev, clu); break;
      }
    }
    ploop_flush(dev);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
