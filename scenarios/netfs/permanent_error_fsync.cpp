// Why: a permanent server error must reach the application: the collector
//      sets the mapping error, the next fsync on each open file returns it
//      exactly once, and later fsyncs return 0 (errseq semantics).
// How: the server fails the first write RPC with -EIO; two open files on
//      the inode fsync after the write; both must see -EIO once.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_permanent_error_fsync, "netfs/permanent_error_fsync", .faults = false,
               .why = "a permanent write error is reported by fsync once per open file") {
  model::World w;
  model::NetfsInode& inode = w.create_file();
  w.server().fail_next(model::kEIO);
  int first_a = 0, second_a = 0, first_b = 0;
  s.spawn("writer", [&] {
    model::NetfsFile a = w.open(inode);
    model::NetfsFile b = w.open(inode);
    model::netfs_file_write(a, 0, pattern(3, 8192), {});
    first_a = model::netfs_fsync(a);
    second_a = model::netfs_fsync(a);
    first_b = model::netfs_fsync(b);
    w.shutdown();
  });
  s.run();
  SIM_ASSERT_CMP(first_a, ==, model::kEIO);
  SIM_ASSERT_CMP(second_a, ==, 0);
  SIM_ASSERT_CMP(first_b, ==, model::kEIO);
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
