// Why: an unbuffered write whose first RPC fails for good has transferred
//      nothing. It returns that error, from the call or through ki_complete
//      (`wreq->error ?: written`), never 0, and leaves i_size alone:
//      netfs_unbuffered_write_done() moves i_size only for a request without
//      an error. A request whose error is lost reports 0 bytes and, past
//      EOF, grows the file to where the write began.
// How: a file written a few pages long; the server refuses the next write
//      RPC with -EIO; an O_DIRECT write, synchronous or io_uring, at the
//      start, inside, at EOF or past it. app-contract judges the value the
//      write returns; i_size must not move.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_dio_first_rpc_fails, "netfs/dio_first_rpc_fails", .faults = false,
               .why = "an unbuffered write whose first RPC fails returns the error and leaves i_size") {
  model::World w({.server = {.wsize = 8 * 1024}});
  model::NetfsInode& inode = w.create_file({.prepare_write = sim::draw(2) == 0});
  s.spawn("direct", [&] {
    model::NetfsFile f = w.open(inode);
    const model::loff_t size = 4096 * (1 + sim::draw(3));
    SIM_ASSERT_CMP(model::netfs_unbuffered_write_iter(f, 0, pattern(1, static_cast<std::size_t>(size))), ==, size);
    const model::loff_t starts[] = {0, size / 2, size, size + 4096 * (1 + sim::draw(4))};
    const model::loff_t pos = starts[sim::draw(4)];
    w.server().fail_next(model::kEIO);
    const std::int64_t ret =
        model::netfs_unbuffered_write_iter(f, pos, pattern(2, 4096 + sim::draw(12 * 1024)), /*aio=*/sim::draw(2) == 0);
    SIM_CHECK("app-contract", ret < 0, "the O_DIRECT write at {} whose first RPC failed returned {}", pos, ret);
    SIM_CHECK("data-integrity", inode.i_size == size,
              "the O_DIRECT write at {} transferred nothing, but i_size moved from {} to {}", pos, size, inode.i_size);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
