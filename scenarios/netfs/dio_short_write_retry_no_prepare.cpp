// Why: the same inline retry of an O_DIRECT write (netfs_unbuffered_write
//      in direct_write.c), on a filesystem without ->prepare_write (9p): the
//      retry path reissues the subrequest itself (netfs_reset_iter, then
//      netfs_reissue_write), then the loop goes round and issues it again.
//      Two RPCs carry the same range at once; both terminate the one
//      subrequest, which drops a reference it no longer holds (a
//      use-after-free in the kernel). A finding in mainline's shape
//      (docs/findings.md).
// How: a 9p-like file (no ->prepare_write) on a cache=none mount
//      (NETFS_ICTX_UNBUFFERED: every write(2) is unbuffered), or opened
//      O_DIRECT; the server stores a prefix of the first write RPC;
//      request-state sees the subrequest issued again while its first
//      reissue is in flight.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_dio_short_write_retry_no_prepare, "netfs/dio_short_write_retry_no_prepare",
               .expect = sim::Expect::fail_always, .expect_checker = "request-state", .faults = false,
               .why = "an O_DIRECT write retried without ->prepare_write is issued twice (finding)") {
  constexpr std::uint64_t kWsize = 16 * 1024;
  model::World w({.server = {.wsize = kWsize}});
  const bool cache_none = sim::draw(2) == 0;
  model::NetfsInode& inode = w.create_file({.prepare_write = false, .unbuffered = cache_none});
  w.server().short_write_next(1 + sim::draw(kWsize - 1));
  s.spawn("direct", [&] {
    model::NetfsFile f =
        w.open(inode, model::FMODE_READ | model::FMODE_WRITE, cache_none ? 0u : model::IOCB_DIRECT);
    const auto bytes = pattern(62, kWsize * (1 + sim::draw(3)) + sim::draw(4096));
    model::netfs_file_write(f, 0, bytes, {});
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
