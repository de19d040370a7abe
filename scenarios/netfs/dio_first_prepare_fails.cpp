// Why: a finding in mainline's shape (docs/findings.md, F18). When the
//      first subrequest of an unbuffered write fails in ->prepare_write (cifs:
//      cifs_reopen_file() cannot reopen an invalidated handle),
//      netfs_unbuffered_write() breaks out of its loop before anything set
//      its `int ret`, and returns it. A synchronous write then returns
//      whatever the stack held when it is negative (the caller passes a
//      negative ret straight up), or the right error when it is not.
// How: an O_DIRECT write, synchronous, on a cifs-like file whose next
//      ->prepare_write fails with -EIO. app-contract judges the result: an
//      error no failure of the file had.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_dio_first_prepare_fails, "netfs/dio_first_prepare_fails",
               .expect = sim::Expect::fail_sometimes, .expect_checker = "app-contract", .faults = false,
               .why = "an unbuffered write whose first ->prepare_write fails returns an uninitialised ret (finding)") {
  model::World w({.flusher = false});
  model::NetfsInode& inode = w.create_file();
  std::int64_t ret = 0;
  s.spawn("direct", [&] {
    model::NetfsFile f = w.open(inode, model::FMODE_READ | model::FMODE_WRITE, model::IOCB_DIRECT);
    model::rfs_inode(inode).fail_next_prepare = model::kEIO;
    ret = model::netfs_file_write(f, 0, pattern(61, 4096 * (1 + sim::draw(4))), {});
  });
  s.run();
  SIM_ASSERT_CMP(ret, <, 0);  // nothing was sent: some error, right or not
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
