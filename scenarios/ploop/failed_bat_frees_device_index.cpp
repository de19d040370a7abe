// Why: a finding in dm-ploop-map.c at 9d144ac5 (docs/ploop.md, docs/
//      findings.md F9). When a BAT update fails (its md page write or the
//      flush after it), ploop_advance_local_after_bat_wb(..., false) calls
//      ploop_hole_set_bit(i + off): the number of the device cluster, while
//      the holes bitmap is indexed by file cluster. The file cluster the
//      update allocated leaks, and file cluster number A becomes free
//      whatever holds it: for a small A, a page of the BAT itself or
//      another device cluster's data. The next allocation takes it: it
//      punches a hole there and writes user data over it.
// How: 2048 device clusters (a BAT of three file clusters, 0-2; the first
//      data cluster is 3); a first write to device cluster 0 (file cluster
//      3); a write to device cluster A in 1..3 whose BAT flush fails; a
//      write to device cluster B on md page 1, which is handed file cluster
//      A (md page A, or device cluster 0's data); a flush. The power cut
//      checked after it finds an image that does not open (a BAT entry
//      inside the BAT) or a file cluster mapped twice.
#include "scenarios/ploop_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(ploop_failed_bat_frees_device_index, "ploop/failed_bat_frees_device_index",
               .expect = sim::Expect::fail_always, .expect_checker = "ploop-crash-consistency", .faults = false,
               .why = "a failed BAT update frees the file cluster numbered like the device cluster (finding)") {
  model::World w;
  model::Ploop dev(w, {.nr_bat_entries = 2048});
  const std::uint32_t a = 1 + sim::draw(3);     // md page 0; a file cluster of the BAT or device cluster 0's
  const std::uint32_t b = 1100 + sim::draw(8);  // md page 1
  s.spawn("app", [&] { ploop_failed_bat_flush_then_write(dev, a, b); });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
