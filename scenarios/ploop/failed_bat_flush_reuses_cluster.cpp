// Why: a finding in the driver's shape (docs/ploop.md, docs/findings.md
//      F9). An allocating write's md page is written to the image file; the
//      flush after it fails. ploop_bat_write_complete() fails the piwb and
//      its last put (ploop_advance_local_after_bat_wb(..., false)) returns
//      the allocated file cluster to the holes bitmap, with the driver's
//      own FIXME: "a failure may mean some sectors are written, so we have
//      to reread BAT page". The page is in the file: the next successful
//      fsync (or the disk, on its own, before a power cut) makes it durable,
//      while the freed cluster is handed to another device cluster. After a
//      power cut the image maps one file cluster from two device clusters,
//      or a device cluster reads another one's data.
// How: a first write (the image grows: preallocation and its fsync); a
//      write to device cluster A with the next fsync, the one after its md
//      page write, failing (the write fails upward with IOERR, as it
//      should); a write to device cluster B on another md page, which
//      reuses the freed file cluster; its BAT flush makes both md pages
//      durable. The power cut checked there finds the file cluster mapped
//      twice.
#include "scenarios/ploop_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(ploop_failed_bat_flush_reuses_cluster, "ploop/failed_bat_flush_reuses_cluster",
               .expect = sim::Expect::fail_always, .expect_checker = "ploop-crash-consistency", .faults = false,
               .why = "a failed BAT flush frees a cluster its md page still maps in the file (finding)") {
  model::World w;
  model::Ploop dev(w, {.nr_bat_entries = 2048});
  const std::uint32_t per_clu = dev.clu_size() / model::kSectorSize;
  const std::uint32_t a = 1 + sim::draw(8);         // md page 0
  const std::uint32_t b = 1100 + sim::draw(8);      // md page 1
  s.spawn("app", [&] {
    ploop_write(dev, 0, ploop_data(3, per_clu));
    dev.file->fail_next_fsync(1);
    const model::BlkStatus first = ploop_write(dev, std::uint64_t{a} * per_clu, ploop_data(1, per_clu));
    SIM_ASSERT_MSG(first == model::BlkStatus::ioerr, "the write whose BAT flush failed ended {}", model::blk_status_name(first));
    ploop_write(dev, std::uint64_t{b} * per_clu, ploop_data(2, per_clu));
    ploop_flush(dev);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
