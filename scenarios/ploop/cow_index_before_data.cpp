// Why: a finding in dm-ploop-map.c at 9d144ac5 (docs/ploop.md, docs/
//      findings.md F10). A COW writes the snapshot's cluster into a new
//      cluster of the top delta (ploop_submit_cluster_write: IOCB_DIRECT, no
//      IOCB_DSYNC), and once that write completes records the new mapping
//      in the md page's index update (ploop_submit_cow_index_wb), which the
//      worker writes out at once; the flush comes only after the md page
//      write. Between the two, the disk's cache holds both writes and a
//      power cut may keep the md page alone: the device cluster then maps a
//      cluster that was never written, and reads zeros where the snapshot
//      had data — data that was durable before the write, in sectors the
//      write never touched.
// How: a snapshot holding cluster 3; one sector written to it; a power cut
//      while the flush after the md page write is still running (both
//      writes volatile).
#include "scenarios/ploop_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(ploop_cow_index_before_data, "ploop/cow_index_before_data", .expect = sim::Expect::fail_always,
               .expect_checker = "ploop-crash-consistency", .faults = false,
               .why = "a COW's index can reach the disk before the copy it maps (finding)") {
  model::World w;
  const std::uint32_t clu = 3;
  model::Ploop dev(w, {.nr_bat_entries = 32,
                       .lower_images = {model::ploop_make_image(3, 32, {{clu, pattern(200, 4096)}})}});
  const std::uint32_t per_clu = dev.clu_size() / model::kSectorSize;
  const std::uint32_t sector = sim::draw(per_clu);
  bool done = false;
  s.spawn("app", [&] {
    ploop_write(dev, std::uint64_t{clu} * per_clu + sector, ploop_data(1, 1));
    done = true;
  });
  s.spawn("power", [&] {
    // The copy and the md page write have completed; the flush after
    // them has not.
    while (!done && dev.file->volatile_ops() < 2) sim::sleep(10 * sim::kUs);
    model::ploop_power_cut(dev);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
