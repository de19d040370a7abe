// Why: a finding in mainline's shape (docs/findings.md). Since 7.0-rc3 an
//      unbuffered or O_DIRECT write sends one subrequest at a time and
//      retries it inline (netfs_unbuffered_write in direct_write.c). When
//      the server stored only a prefix, the retry first advances the
//      request's buffer iterator past that prefix, then points the
//      subrequest at the advanced iterator while resetting its start to
//      wreq->start + wreq->transferred, which does not count the prefix.
//      A filesystem with ->prepare_write (cifs) then sends the bytes from
//      prefix on to the file offset where the prefix began: the file ends
//      up with the data shifted, and the write returns short by the prefix.
// How: a cifs-like file (->prepare_write, send credits) opened O_DIRECT;
//      the server stores a random prefix of the first write RPC; the
//      iterator checker sees the reissue with its iterator ahead of its
//      residual range, and data-integrity would see the shifted bytes.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_dio_short_write_retry, "netfs/dio_short_write_retry", .expect = sim::Expect::fail_always,
               .expect_checker = "iterator", .faults = false,
               .why = "an O_DIRECT write retried after a short write resends from the wrong place (finding)") {
  constexpr std::uint64_t kWsize = 16 * 1024;
  model::World w({.server = {.wsize = kWsize}});
  model::NetfsInode& inode = w.create_file();
  w.server().short_write_next(1 + sim::draw(kWsize - 1));
  s.spawn("direct", [&] {
    model::NetfsFile f = w.open(inode, model::FMODE_READ | model::FMODE_WRITE, model::IOCB_DIRECT);
    const auto bytes = pattern(61, kWsize * (1 + sim::draw(3)) + sim::draw(4096));
    model::netfs_file_write(f, 0, bytes, {});
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
