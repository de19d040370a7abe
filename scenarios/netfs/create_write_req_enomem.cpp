// Why: when netfs_writepages cannot create its request, it cannot cancel
//      writeback_iter's walk, so it must still take every folio it is handed
//      through start/end of writeback (netfs_kill_dirty_pages), leave none
//      locked or dirty, and return the error to its caller: fsync reports it.
// How: two files; the request creation of the first fails once during
//      fsync; the other file is untouched by it. Half the runs write the
//      first file under a write group (Ceph's snap context): killing its
//      folios puts the group's references too.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_create_write_req_enomem, "netfs/create_write_req_enomem", .faults = false,
               .why = "a request that cannot be created kills the dirty folios and fsync reports it") {
  model::World w({.flusher = false});
  const bool grouped = sim::draw(2) == 0;
  model::NetfsInode& a = w.create_file({.writeback_groups = grouped});
  model::NetfsGroup group{.ref = 1, .id = 1};
  model::NetfsInode& b = w.create_file();
  int err_a = 0, err_b = 0;
  s.spawn("writer", [&] {
    model::NetfsFile fa = w.open(a);
    model::NetfsFile fb = w.open(b);
    model::netfs_file_write(fa, 0, pattern(95, 20000),
                            {.group = grouped ? &group : nullptr, .max_folio_order = 2, .random_orders = true});
    const auto bytes = pattern(96, 12000);
    model::netfs_file_write(fb, 0, bytes, {});
    a.fail_create_write_req = 1;
    err_a = model::netfs_fsync(fa);
    err_b = model::netfs_fsync(fb);
  });
  s.run();
  SIM_ASSERT_CMP(err_a, ==, model::kENOMEM);
  SIM_ASSERT_CMP(err_b, ==, 0);
  // The killed data never reached the server: the loss was reported.
  SIM_ASSERT_CMP(w.server().file(0).data.size(), ==, 0u);
  s.liveness_phase(w);
  SIM_ASSERT_CMP(group.ref, ==, 1);  // every folio's reference was put
}

}  // namespace wbsim::scenarios
