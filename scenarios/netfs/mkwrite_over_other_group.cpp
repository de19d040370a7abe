// Why: a finding in mainline's shape (docs/findings.md, F17), latent in-tree.
//      netfs_page_mkwrite() meets a folio holding another write group's dirty
//      data, flushes it and returns VM_FAULT_RETRY to have the fault retried.
//      do_page_mkwrite() does not act on that code: it locks the folio and
//      goes on as if it were VM_FAULT_LOCKED, so the store lands in the folio
//      whose private data still names the other group, and the next
//      writeback writes it under that group's snapshot context. afs, 9p and
//      cifs pass no group to netfs_page_mkwrite(); a filesystem with groups
//      (Ceph's snap contexts) would reach it on every such store.
// How: a write(2) under group 1 dirties a page, then a store through a
//      mapping under group 2 faults on it; fsync. write-group names the
//      request that writes group 2's bytes under group 1 (or under none, when
//      the flush's writeback ended before the store and detached the group).
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_mkwrite_over_other_group, "netfs/mkwrite_over_other_group",
               .expect = sim::Expect::fail_always, .expect_checker = "write-group", .faults = false,
               .why = "page_mkwrite's VM_FAULT_RETRY is not acted on: a store lands under another group (finding)") {
  model::World w({.flusher = false});
  model::NetfsInode& inode = w.create_file({.writeback_groups = true});
  model::NetfsGroup groups[2] = {{.ref = 1, .id = 1}, {.ref = 1, .id = 2}};
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    const auto first = pattern(31, 4096 * (1 + sim::draw(3)));
    model::netfs_file_write(f, 0, first, {.group = &groups[0]});
    const auto at = static_cast<model::loff_t>(sim::draw(static_cast<std::uint32_t>(first.size() - 100)));
    model::netfs_mmap_write(f, at, pattern(32, 100), &groups[1]);
    model::netfs_fsync(f);
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
