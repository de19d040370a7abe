// Why: the second path of F23 (docs/ploop.md, docs/findings.md), with no
//      power cut. A grow zeroes a new BAT cluster past the image's end with
//      ploop_write_zero_cluster_sync(); done in part, the write's rest is
//      resubmitted by ploop_data_rw_complete(). When the rest fails, the
//      grow fails and process_resize_cmd() rolls back in memory only (the
//      holes bitmap and hb_nr): nothing truncates the file, which keeps a
//      size of part clusters. The next flush makes that durable, and the
//      next ctr refuses the image in ploop_check_delta_length() (-EPROTO).
// How: a fresh 64-cluster image (the BAT alone, one cluster); a grow to
//      1,100-3,099 clusters; the first zeroing write is done for 1-7 of its
//      8 sectors and its resubmitted rest fails with -EIO; then a FLUSH.
//      The crash-consistency checker opens the image at the flush's
//      completion with everything written kept: a clean stop's image.
#include "scenarios/ploop_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(ploop_grow_zero_rest_fails, "ploop/grow_zero_rest_fails", .expect = sim::Expect::fail_always,
               .expect_checker = "ploop-crash-consistency", .faults = false,
               .why = "a grow whose zeroing write past the image's end fails after a partial write leaves a size of "
                      "part clusters with no power cut (finding)") {
  model::World w;
  model::Ploop dev(w, {.nr_bat_entries = 64});
  const std::uint32_t per_clu = dev.clu_size() / model::kSectorSize;
  const std::uint32_t new_clusters = 1100 + sim::draw(2000);
  dev.file->short_next_write(1 + sim::draw(per_clu - 1), /*then_fail=*/true);
  s.spawn("control", [&] {
    const int ret = model::ploop_resize(dev, std::uint64_t{new_clusters} * per_clu);
    SIM_ASSERT_MSG(ret != 0, "the grow succeeded although its zeroing write failed");
    ploop_flush(dev);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
