// Why: a dm-ploop device as the block device under the netfs local cache:
//      the upload and cache streams of netfs writeback, and copy-to-cache
//      after reads, land on the device as its writes, allocating clusters
//      and writing BAT pages behind them. Both worlds' properties must hold
//      at once: netfs's (folio state, request state, data integrity against
//      the server) and ploop's (P1-P7; after a power cut at any durable
//      point the image opens and what was flushed reads back).
// How: two cached netfs files, each given a 64 KiB region of the device;
//      a writer and a reader on them with fsync; swarm faults on the
//      server, the cache, the image file and the power.
#include "scenarios/ploop_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(ploop_netfs_cache_on_ploop, "ploop/netfs_cache_on_ploop", .pct_steps_hint = 3000,
               .fault_sites_off = "ploop.file_eio,ploop.fsync_eio",
               .why = "netfs's cache on a ploop device: both worlds' properties hold together") {
  model::World w;
  model::Ploop dev(w, {.nr_bat_entries = 64});
  constexpr std::uint64_t kRegion = 64 * 1024;  // device bytes per cached file
  std::map<std::uint32_t, std::uint64_t> region;  // file id -> region index
  w.cache().set_backing([&](std::uint32_t file_id, model::loff_t pos, const std::vector<std::uint8_t>& bytes) {
    const auto [it, fresh] = region.emplace(file_id, region.size());
    const std::uint64_t at = it->second * kRegion + static_cast<std::uint64_t>(pos);
    if (at + bytes.size() > kRegion * (it->second + 1)) return model::kENOSPC;  // past the file's region
    return ploop_write(dev, at / model::kSectorSize, bytes) == model::BlkStatus::ok ? 0 : model::kEIO;
  });
  model::NetfsInode& a = w.create_file({.cache = true});
  model::NetfsInode& b = w.create_file({.cache = true});
  w.preload(b, pattern(90, 32 * 1024));
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(a);
    for (std::uint32_t i = 0; i < 4; ++i) {
      const auto pos = static_cast<model::loff_t>(sim::draw(12) * 4096);
      write_all(f, pos, pattern(91 + i, 4096 * (1 + sim::draw(3))), {});
      if (sim::draw(2) == 0) model::netfs_fsync(f);
    }
    model::netfs_fsync(f);
  });
  s.spawn("reader", [&] {
    model::NetfsFile f = w.open(b);
    model::netfs_file_read(f, 0, 16 * 1024 + sim::draw(16 * 1024));  // copy-to-cache
    model::netfs_fsync(f);
    ploop_flush(dev);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
