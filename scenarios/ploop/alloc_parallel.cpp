// Why: writes to unmapped clusters allocate from the holes bitmap and go out
//      at once while the md page that will map them is written back
//      (piwb); they may complete only after that page and the flush after
//      it (P1), once the in-memory BAT maps them (P2); pios for an md page
//      under writeback wait on it (P3); after a power cut at any durable
//      point the image opens and holds every write acknowledged durable.
// How: writers on clusters spread over three md pages, some overwriting
//      (mapped), some allocating, some with PREFLUSH, with reads back and flushes;
//      swarm faults stall the image file, shorten writes (partial I/O) and
//      cut the power.
#include "scenarios/ploop_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(ploop_alloc_parallel, "ploop/alloc_parallel", .pct_steps_hint = 3000,
               .fault_sites_off = "ploop.file_eio,ploop.fsync_eio",
               .why = "parallel allocating writes complete after their BAT is durable and survive power cuts",
               .params = {{"writers", 3, 1, 8, "writer fibers"}, {"rounds", 3, 1, 16, "writes per writer"}}) {
  model::World w;
  model::Ploop dev(w, {.nr_bat_entries = 2100});
  const std::uint32_t per_clu = dev.clu_size() / model::kSectorSize;
  // Clusters on md pages 0, 1 and 2 (page 0 holds 1008 entries, page 1 1024).
  const std::uint32_t clusters[] = {3, 4, 1000, 1010, 1500, 2040, 2041};
  for (std::uint32_t k = 0; k < s.param("writers"); ++k) {
    s.spawn(fmt::format("writer{}", k), [&, k] {
      for (std::uint32_t round = 0; s.more("rounds", round); ++round) {
        const std::uint32_t clu = clusters[sim::draw(7)];
        const std::uint32_t off = sim::draw(per_clu);
        const std::uint32_t n = 1 + sim::draw(per_clu - off);
        ploop_write(dev, std::uint64_t{clu} * per_clu + off, ploop_data(100 + k * 10 + round, n), false,
                    /*preflush=*/sim::draw(4) == 0);
        if (sim::draw(3) == 0) {
          std::vector<std::uint8_t> out;
          ploop_read(dev, std::uint64_t{clu} * per_clu, per_clu, &out);
        }
        if (sim::draw(4) == 0) ploop_flush(dev);
      }
    });
  }
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
