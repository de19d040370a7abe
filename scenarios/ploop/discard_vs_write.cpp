// Why: a discard of a mapped cluster locks it (exclusive_pios), punches the
//      hole and writes the index with the entry cleared; pios for that
//      cluster meanwhile wait on the lock (P7) and run after it; a discard
//      meeting an in-flight pio waits for it; the freed cluster returns to
//      the holes bitmap (P4) and may be reused.
// How: clusters written, then discards racing writes and reads to the same
//      clusters; swarm faults stall the file and cut the power.
#include "scenarios/ploop_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(ploop_discard_vs_write, "ploop/discard_vs_write", .pct_steps_hint = 3000,
               .fault_sites_off = "ploop.file_eio,ploop.fsync_eio",
               .why = "discards and writes to one cluster exclude each other and keep BAT and holes consistent",
               .params = {{"clusters", 3, 1, 15, "clusters written first, then discarded and written"},
                          {"discards", 4, 1, 16, "discards (each maybe followed by a flush)"},
                          {"ops", 4, 1, 16, "the writer's writes and reads"}}) {
  model::World w;
  model::Ploop dev(w, {.nr_bat_entries = 16});
  const std::uint32_t per_clu = dev.clu_size() / model::kSectorSize;
  const auto nr_clusters = static_cast<std::uint32_t>(s.param("clusters"));
  s.spawn("setup-and-discard", [&] {
    for (std::uint32_t clu = 0; clu < nr_clusters; ++clu)
      ploop_write(dev, std::uint64_t{clu} * per_clu, ploop_data(20 + clu, per_clu));
    for (std::uint32_t round = 0; s.more("discards", round); ++round) {
      ploop_discard(dev, sim::draw(nr_clusters));
      if (sim::draw(2) == 0) ploop_flush(dev);
    }
  });
  s.spawn("writer", [&] {
    for (std::uint32_t round = 0; s.more("ops", round); ++round) {
      const std::uint32_t clu = sim::draw(nr_clusters);
      if (sim::draw(2) == 0) {
        ploop_write(dev, std::uint64_t{clu} * per_clu + sim::draw(per_clu), ploop_data(30 + round, 1));
      } else {
        std::vector<std::uint8_t> out;
        ploop_read(dev, std::uint64_t{clu} * per_clu, per_clu, &out);
      }
    }
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
