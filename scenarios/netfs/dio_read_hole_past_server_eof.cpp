// Why: a finding in mainline's shape (docs/findings.md, F8). An extending
//      buffered write raises the client's i_size at once; the server's file
//      grows only when the page is written back. An O_DIRECT read writes
//      back only its own range (kiocb_write_and_wait), so over a hole
//      between the server's EOF and the dirty page the server returns
//      nothing. 9p's ->issue_read sets NETFS_SREQ_HIT_EOF only at the
//      client's i_size and, for unbuffered reads, not CLEAR_TAIL, so
//      netfs_read_subreq_terminated() fails the subrequest with -ENODATA;
//      after a partial read the retry makes no progress and fails the same
//      way. The application reads a hole inside the file and gets
//      -ENODATA instead of zeros, even for the bytes the server did return.
// How: a 12 KiB file on the server; a buffered write well past EOF, left
//      dirty (no flusher); then an O_DIRECT read that starts at or before
//      the server's EOF and ends in the hole.
#include "model/netfs/netfs.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_dio_read_hole_past_server_eof, "netfs/dio_read_hole_past_server_eof",
               .expect = sim::Expect::fail_always, .expect_checker = "data-integrity", .faults = false,
               .why = "an O_DIRECT read of a hole the client extended over fails with -ENODATA (finding)") {
  model::World w({.flusher = false});
  model::NetfsInode& inode = w.create_file();
  w.preload(inode, pattern(171, 12 * 1024));
  s.spawn("app", [&] {
    model::NetfsFile f = w.open(inode);
    const auto past = static_cast<model::loff_t>((5 + sim::draw(4)) * 4096 + sim::draw(4096));
    write_all(f, past, pattern(172, 1 + sim::draw(4096)), {});
    std::vector<std::uint8_t> out;
    const auto pos = static_cast<model::loff_t>(sim::draw(4) * 4096);
    model::netfs_unbuffered_read_iter(f, pos, static_cast<std::uint64_t>(16 * 1024 - pos), out);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
