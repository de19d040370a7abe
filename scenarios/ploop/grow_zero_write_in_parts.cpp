// Why: a finding in dm-ploop-cmd.c at 70637c92955a (docs/ploop.md,
//      docs/findings.md F23). A grow zeroes each new BAT cluster with
//      ploop_write_zero_cluster_sync(); a cluster that was free past the
//      image's end is not preallocated first (ploop_allocate_cluster() is
//      not on this path), so the zeroing write is what extends the file.
//      When the host filesystem does it in part, ploop_data_rw_complete()
//      resubmits the rest: in between, the file's size is not whole
//      clusters, and a power cut there leaves an image whose next ctr fails
//      in ploop_check_delta_length() with -EPROTO. No data is lost; the
//      device does not start.
// How: a fresh 64-cluster image (the BAT alone, one cluster); a grow to
//      1,100-3,099 clusters (a BAT of two or three clusters, all past the
//      end); the first zeroing write is done for 1-7 of its 8 sectors; the
//      power is cut while the file ends inside it.
#include "scenarios/ploop_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(ploop_grow_zero_write_in_parts, "ploop/grow_zero_write_in_parts", .expect = sim::Expect::fail_always,
               .expect_checker = "ploop-crash-consistency", .faults = false,
               .why = "a grow's zeroing write past the image's end, done in parts, leaves a size of part clusters "
                      "(finding)") {
  model::World w;
  model::Ploop dev(w, {.nr_bat_entries = 64});
  const std::uint32_t per_clu = dev.clu_size() / model::kSectorSize;
  const std::uint32_t new_clusters = 1100 + sim::draw(2000);
  dev.file->short_next_write(1 + sim::draw(per_clu - 1));
  s.spawn("control", [&] { model::ploop_resize(dev, std::uint64_t{new_clusters} * per_clu); });
  s.spawn("power", [&] {
    while (dev.file->size() % dev.clu_size() == 0) sim::sleep(10 * sim::kUs);  // the rest takes 20 us or more to land
    model::ploop_power_cut(dev);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
