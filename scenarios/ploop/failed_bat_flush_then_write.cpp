// Why: what a failed BAT update does to the holes bitmap, with the md page
//      already in the image file. An allocating write's md page is written;
//      the flush after it fails, so the write fails upward (IOERR, as it
//      should). The driver (ploop_advance_local_after_bat_wb(..., false))
//      then sets the holes bitmap bit of the device cluster's number instead
//      of the file cluster it allocated: the pinned finding
//      ploop-failed-bat-frees-device-index, which a sweep counts, not fails
//      (docs/ploop.md). Its evident fix, `--bug ploop-failed-bat-frees-
//      allocated`, frees the allocated cluster instead, but the md page that
//      maps it is in the file (the driver's FIXME: "a failure may mean some
//      sectors are written, so we have to reread BAT page"): a write to
//      another md page reuses the cluster, its BAT flush makes both md pages
//      durable, and after a power cut one file cluster is mapped twice.
// How: a first write (the image grows: preallocation and its fsync); a
//      write to device cluster A on md page 0 whose BAT flush fails; a write
//      to device cluster B on md page 1; a flush.
#include "scenarios/ploop_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(ploop_failed_bat_flush_then_write, "ploop/failed_bat_flush_then_write", .faults = false,
               .why = "a write after a BAT update that failed in its flush, with its md page in the file") {
  model::World w;
  model::Ploop dev(w, {.nr_bat_entries = 2048});
  const std::uint32_t a = 1 + sim::draw(8);     // md page 0
  const std::uint32_t b = 1100 + sim::draw(8);  // md page 1
  s.spawn("app", [&] { ploop_failed_bat_flush_then_write(dev, a, b); });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
