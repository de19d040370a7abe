// Why: with a snapshot, the device is a top delta over a read-only lower
//      one; the first write to a cluster only the snapshot holds copies it
//      (COW): the write takes the cluster's lock, the cluster is read whole
//      from the snapshot, written to a new cluster of the top delta, the
//      index is updated, and only then does the write itself go, into the
//      copy. Other pios to the cluster wait on the lock (P7); the rest of
//      the cluster keeps the snapshot's data; power cuts keep either the
//      snapshot's cluster or the copy with what was acknowledged.
// How: a 32-cluster device over a snapshot holding clusters 0-11; two
//      writers write single sectors (PREFLUSH now and then) into disjoint
//      clusters 0-15, each reading its cluster back after every write; a
//      reader reads any cluster meanwhile; flushes; swarm faults stall the
//      file, shorten its I/O and cut the power.
#include <map>

#include "scenarios/ploop_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(ploop_snapshot_cow, "ploop/snapshot_cow", .pct_steps_hint = 4000,
               .fault_sites_off = "ploop.file_eio,ploop.fsync_eio",
               .why = "a write to a snapshot's cluster copies it whole into the top delta first, under the cluster lock") {
  model::World w;
  std::map<std::uint32_t, std::vector<std::uint8_t>> snapshot;
  for (std::uint32_t clu = 0; clu < 12; ++clu) snapshot[clu] = pattern(200 + clu, 4096);
  model::Ploop dev(w, {.nr_bat_entries = 32, .lower_images = {model::ploop_make_image(3, 32, snapshot)}});
  const std::uint32_t per_clu = dev.clu_size() / model::kSectorSize;
  for (std::uint32_t k = 0; k < 2; ++k) {
    s.spawn(fmt::format("writer{}", k), [&, k] {
      std::map<std::uint32_t, std::vector<std::uint8_t>> expect;  // cluster -> its bytes
      for (std::uint32_t round = 0; round < 5; ++round) {
        const std::uint32_t clu = 2 * sim::draw(8) + k;
        const std::uint32_t sector = sim::draw(per_clu);
        if (!expect.count(clu)) expect[clu] = snapshot.count(clu) ? snapshot[clu] : std::vector<std::uint8_t>(4096, 0);
        std::vector<std::uint8_t> data = ploop_data(60 + 10 * k + round, 1);
        const model::BlkStatus st = ploop_write(dev, std::uint64_t{clu} * per_clu + sector, data, false,
                                                /*preflush=*/sim::draw(4) == 0);
        SIM_ASSERT_MSG(st == model::BlkStatus::ok, "write to cluster {} ended {}", clu, model::blk_status_name(st));
        std::copy(data.begin(), data.end(), expect[clu].begin() + sector * model::kSectorSize);
        std::vector<std::uint8_t> got;
        ploop_read(dev, std::uint64_t{clu} * per_clu, per_clu, &got);
        SIM_ASSERT_MSG(got == expect[clu], "cluster {} does not read back after write {} (sector {})", clu, round, sector);
      }
    });
  }
  s.spawn("reader", [&] {
    for (std::uint32_t round = 0; round < 6; ++round) {
      std::vector<std::uint8_t> got;
      ploop_read(dev, std::uint64_t{sim::draw(16)} * per_clu, per_clu, &got);
      if (sim::draw(3) == 0) ploop_flush(dev);
    }
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
