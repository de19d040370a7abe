// Why: a finding in dm-ploop at 9d144ac5 (docs/ploop.md, docs/findings.md
//      F11). The target sets flush_supported, for which dm gives the
//      device's queue a write cache and FUA, so blk-flush adds no flush
//      after a REQ_FUA write: the data request carries REQ_FUA to the
//      target. ploop_init_prq_and_embedded_pio() takes req_op(rq) only, and
//      ploop_call_rw_iter() writes with IOCB_DIRECT alone: the write is
//      acknowledged when it reaches the image file's page of the disk's
//      cache, not when it is durable. A journal commit written with
//      REQ_FUA can be lost by a power cut after fsync() returned. (The
//      "parallel pio processing" series carries "dm-ploop: set IOCB_DSYNC
//      on all FUA requests" and "support REQ_FUA for data pios".)
// How: a cluster written and flushed; then a FUA overwrite of it. The
//      power cut right after its acknowledgement may keep the old data.
#include "scenarios/ploop_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(ploop_fua_write_not_durable, "ploop/fua_write_not_durable", .expect = sim::Expect::fail_always,
               .expect_checker = "ploop-crash-consistency", .faults = false,
               .why = "a REQ_FUA write is acknowledged before it is durable (finding)") {
  model::World w;
  model::Ploop dev(w, {.nr_bat_entries = 16});
  const std::uint32_t per_clu = dev.clu_size() / model::kSectorSize;
  const std::uint32_t clu = sim::draw(16);
  s.spawn("app", [&] {
    ploop_write(dev, std::uint64_t{clu} * per_clu, ploop_data(1, per_clu));
    ploop_flush(dev);
    ploop_write(dev, std::uint64_t{clu} * per_clu, ploop_data(2, per_clu), /*fua=*/true);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
