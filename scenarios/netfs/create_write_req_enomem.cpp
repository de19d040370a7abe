// Why: when netfs_writepages cannot create its request, it cannot cancel
//      writeback_iter's walk, so it must still take every folio it is handed
//      through start/end of writeback (netfs_kill_dirty_pages), leave none
//      locked or dirty, and return the error to its caller: fsync reports it.
// How: two files; the request creation of the first fails once during
//      fsync; the other file is untouched by it. Half the runs write the
//      first file under a write group (Ceph's snap context): killing its
//      folios puts the group's references too. Half start the first file
//      with contents on the server and write from inside a folio nobody
//      read: that folio holds a streaming record (netfs_folio), which the
//      kill frees, group reference and all.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_create_write_req_enomem, "netfs/create_write_req_enomem", .faults = false,
               .why = "a request that cannot be created kills the dirty folios and fsync reports it") {
  model::World w({.flusher = false});
  const bool grouped = sim::draw(2) == 0;
  model::NetfsInode& a = w.create_file({.writeback_groups = grouped});
  model::NetfsGroup group{.ref = 1, .id = 1};
  model::NetfsInode& b = w.create_file();
  std::vector<std::uint8_t> on_server;
  if (sim::draw(2) == 0) {
    on_server = pattern(94, 24000);
    w.preload(a, on_server);
  }
  const auto at = static_cast<model::loff_t>(on_server.empty() ? 0 : 1 + sim::draw(4000));
  int err_a = 0, err_b = 0;
  s.spawn("writer", [&] {
    model::NetfsFile fa = w.open(a);
    model::NetfsFile fb = w.open(b);
    model::netfs_file_write(fa, at, pattern(95, 20000),
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
  SIM_ASSERT(w.server().file(0).data == on_server);
  s.liveness_phase(w);
  SIM_ASSERT_CMP(group.ref, ==, 1);  // every folio's reference was put
}

}  // namespace wbsim::scenarios
