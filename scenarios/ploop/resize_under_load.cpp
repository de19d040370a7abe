// Why: growing the device (dm-ploop-cmd.c, ploop_resize) needs a larger BAT,
//      so the data clusters right after the old one move elsewhere while the
//      device is live: each is read, written to a new file cluster between
//      fsyncs, remapped by a BAT page write and its flush, and only then
//      zeroed in its old place; the header follows. New requests wait
//      meanwhile (ploop_suspend_submitting_pios). No data may be lost or
//      mis-mapped across it, power cuts included.
// How: a 64-cluster device (a one-cluster BAT) with two writers allocating
//      and overwriting disjoint clusters, PREFLUSH now and then; a control fiber
//      grows it to 1,100-3,099 clusters (a BAT of two or three clusters: one
//      or two data clusters to move); after that a writer also writes past
//      the old end. Each writer reads its clusters back at the end; swarm
//      faults stall the file, shorten its I/O and cut the power.
#include <map>

#include "scenarios/ploop_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(ploop_resize_under_load, "ploop/resize_under_load", .pct_steps_hint = 4000,
               .fault_sites_off = "ploop.file_eio,ploop.fsync_eio",
               .why = "a grow relocates the clusters the new BAT needs without losing or mis-mapping data") {
  model::World w;
  model::Ploop dev(w, {.nr_bat_entries = 64});
  const std::uint32_t per_clu = dev.clu_size() / model::kSectorSize;
  const std::uint32_t new_clusters = 1100 + sim::draw(2000);
  bool grown = false;
  for (std::uint32_t k = 0; k < 2; ++k) {
    s.spawn(fmt::format("writer{}", k), [&, k] {
      std::map<std::uint32_t, std::uint32_t> wrote;  // cluster -> tag
      for (std::uint32_t round = 0; round < 5; ++round) {
        std::uint32_t clu = 2 * sim::draw(12) + k;
        if (grown && k == 1 && sim::draw(2) == 0) clu = 64 + 2 * sim::draw((new_clusters - 64) / 2) + k;
        const std::uint32_t tag = 40 + 10 * k + round;
        const model::BlkStatus st =
            ploop_write(dev, std::uint64_t{clu} * per_clu, ploop_data(tag, per_clu), false, /*preflush=*/sim::draw(4) == 0);
        SIM_ASSERT_MSG(st == model::BlkStatus::ok, "write of cluster {} ended {}", clu, model::blk_status_name(st));
        wrote[clu] = tag;
      }
      for (const auto& [clu, tag] : wrote) {
        std::vector<std::uint8_t> got;
        ploop_read(dev, std::uint64_t{clu} * per_clu, per_clu, &got);
        SIM_ASSERT_MSG(got == ploop_data(tag, per_clu), "cluster {} does not read back write {}", clu, tag);
      }
    });
  }
  s.spawn("control", [&] {
    sim::sleep(sim::draw(3000) * sim::kUs);
    const int ret = model::ploop_resize(dev, std::uint64_t{new_clusters} * per_clu);
    SIM_ASSERT_MSG(ret == 0, "resize to {} clusters: {}", new_clusters, ret);
    SIM_ASSERT_CMP(dev.nr_bat_entries, ==, new_clusters);
    grown = true;
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
