// Why: a finding in mainline's shape (docs/findings.md, F13). An unbuffered
//      or O_DIRECT write that sends more than one subrequest, the first
//      stored and a later one failing for good, returns the error
//      (netfs_unbuffered_write in direct_write.c sets ret from the failed
//      subrequest; netfs_unbuffered_write_iter_locked reports wreq->transferred
//      only when ret >= 0): the application is told nothing was written
//      while the server holds the first bytes, and i_size stays behind them.
//      write(2) returns the bytes written before an error (POSIX), which
//      the buffered path and iomap's own short-write handling both do.
// How: a cifs-like file opened O_DIRECT with wsize 8 KiB; a write of two
//      to four wsizes whose first RPC is stored and a later one refused
//      with -EIO; app-contract sees the error with a transferred prefix.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_dio_error_after_partial_transfer, "netfs/dio_error_after_partial_transfer",
               .expect = sim::Expect::fail_always, .expect_checker = "app-contract", .faults = false,
               .why = "an O_DIRECT write that transferred bytes returns the error of a later subrequest (finding)") {
  constexpr std::uint64_t kWsize = 8 * 1024;
  model::World w({.server = {.wsize = kWsize}});
  model::NetfsInode& inode = w.create_file();
  const std::uint64_t rpcs = 2 + sim::draw(3);
  const std::uint64_t failing = 1 + sim::draw(static_cast<std::uint32_t>(rpcs - 1));
  for (std::uint64_t i = 0; i < failing; ++i) w.server().script_replies({model::RemoteServer::Reply{}});
  w.server().script_replies({{.error = model::kEIO}});
  s.spawn("direct", [&] {
    model::NetfsFile f = w.open(inode, model::FMODE_READ | model::FMODE_WRITE, model::IOCB_DIRECT);
    model::netfs_file_write(f, 0, pattern(67, kWsize * rpcs), {});
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
