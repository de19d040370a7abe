// Why: a finding in mainline's shape (docs/findings.md). A shared mapping
//      can store into the folio that holds EOF past EOF: those bytes are not
//      file data, and writeback zeroes them (netfs_write_folio's EOF trim).
//      A buffered write that starts past the old EOF inside that folio grows
//      i_size over them (netfs_update_i_size), and nothing zeroes them
//      first: the generic write path does (pagecache_isize_extended), netfs
//      does not. The bytes between the old EOF and the write then read back,
//      and are written back, as whatever the mapping stored there, where
//      POSIX says a hole reads as zeros.
// How: a file whose size ends inside a folio; a store through the mapping
//      that runs past EOF; a write a little further on, extending the file;
//      fsync. No background writeback in between (it would zero the tail).
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_mmap_beyond_eof_then_extend, "netfs/mmap_beyond_eof_then_extend",
               .expect = sim::Expect::fail_always, .expect_checker = "data-integrity", .faults = false,
               .why = "an extending write exposes bytes a mapping stored past the old EOF (finding)") {
  model::World w({.flusher = false});
  model::NetfsInode& inode = w.create_file();
  s.spawn("app", [&] {
    model::NetfsFile f = w.open(inode);
    const std::uint64_t size = 4096 + 100 + sim::draw(3000);
    write_all(f, 0, pattern(131, size), {.max_folio_order = 0});
    // A store through the mapping from before EOF to past it.
    model::netfs_mmap_write(f, static_cast<model::loff_t>(size - 50), pattern(132, 200 + sim::draw(500)));
    // A write that starts past the stored bytes' start, still in the folio.
    const auto at = static_cast<model::loff_t>(size + 60 + sim::draw(100));
    write_all(f, at, pattern(133, 1000), {.max_folio_order = 0});
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
