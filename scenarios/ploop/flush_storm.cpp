// Why: REQ_OP_FLUSH (and a REQ_PREFLUSH write's flush) is an fsync of the
//      image on the fsync worker; it may end only once an fsync that began
//      after it was queued has returned, with that fsync's status (P5), and
//      then every write acknowledged before it is durable.
// How: flushes and PREFLUSH writes from several fibers while writers
//      allocate and overwrite; swarm faults stall the file, fail fsyncs and
//      cut the power.
#include "scenarios/ploop_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(ploop_flush_storm, "ploop/flush_storm", .pct_steps_hint = 3000, .fault_sites_off = "ploop.file_eio",
               .why = "flushes end after an fsync that covers them, and what they covered survives a power cut",
               .params = {{"writes", 6, 1, 32, "cluster writes"}, {"flushers", 2, 1, 4, "flusher fibers"},
                          {"flushes", 4, 1, 16, "flushes per flusher"}}) {
  model::World w;
  model::Ploop dev(w, {.nr_bat_entries = 48});
  const std::uint32_t per_clu = dev.clu_size() / model::kSectorSize;
  s.spawn("writer", [&] {
    for (std::uint32_t round = 0; s.more("writes", round); ++round) {
      const std::uint32_t clu = sim::draw(12);
      ploop_write(dev, std::uint64_t{clu} * per_clu, ploop_data(60 + round, per_clu), false, /*preflush=*/sim::draw(3) == 0);
    }
  });
  for (std::uint32_t k = 0; k < s.param("flushers"); ++k) {
    s.spawn(fmt::format("flusher{}", k), [&] {
      for (std::uint32_t round = 0; s.more("flushes", round); ++round) {
        ploop_flush(dev);
        sim::sleep(sim::draw(500) * sim::kUs);
      }
    });
  }
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
