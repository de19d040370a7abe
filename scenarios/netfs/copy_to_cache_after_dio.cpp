// Why: folios read through a cached inode are marked for copying to the
//      cache. If the cache is then disabled for the file (an unbuffered
//      write invalidates it with FSCACHE_INVAL_DIO_WRITE) before writeback
//      gets to them, writeback has no stream to send them to and must end
//      their writeback itself; otherwise nothing ever collects them and they
//      stay under writeback (generic/013 on ceph -o fsc hung so).
// How: read a preloaded file, write part of it unbuffered, write the rest
//      back, with the flusher racing. Server short writes stay off: an
//      unbuffered write retried after one meets the pinned finding of
//      netfs/dio_short_write_retry (docs/findings.md), not this bug.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_copy_to_cache_after_dio, "netfs/copy_to_cache_after_dio", .pct_steps_hint = 2000,
               .fault_sites_off = "server.short_write",
               .why = "copy-to-cache folios are written back after an unbuffered write disabled the cache",
               .params = {{"read_kib", 32, 1, 64, "KiB read at least (plus up to 32 KiB more)"}}) {
  model::World w({.background_thresh_pages = 1 + sim::draw(8)});
  model::NetfsInode& inode = w.create_file({.cache = true});
  w.preload(inode, pattern(9, 64 * 1024));
  s.spawn("reader", [&] {
    model::NetfsFile f = w.open(inode);
    model::netfs_file_read(f, 0, static_cast<std::uint64_t>(s.param("read_kib")) * 1024 + sim::draw(32 * 1024));
    const model::loff_t at = static_cast<model::loff_t>(sim::draw(60) * 1024);
    model::netfs_unbuffered_write_iter(f, at, pattern(10, 1 + sim::draw(4096)));
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
