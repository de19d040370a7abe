// Why: see scenarios/netfs/writeback_keys_exhausted.cpp (docs/findings.md
//      F20); this one holds a folio further on locked, so the issuer is still
//      issuing when the retry has run out of keys, and the data is dropped
//      with no error instead of writeback hanging.
// How: a file written by one to three users; the writer dirties whole
//      folios, one wsize each (so every subrequest of them is sent as it
//      fills and none is left open for the retry to wait for), and a second
//      range two or more folios further on; the server takes every key out
//      of the file's ACL; the second range's first folio is held locked (as
//      migration would hold it) while another fiber fsyncs, then released.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_writeback_keys_exhausted_while_issuing, "netfs/writeback_keys_exhausted_while_issuing",
               .expect = sim::Expect::fail_always, .expect_checker = "error-propagation", .faults = false,
               .why = "a subrequest issued after the keys ran out cancels the stream with no error (finding)") {
  model::World w({.server = {.wsize = 4096}, .flusher = false});
  const std::uint32_t writers = 1 + sim::draw(3);
  model::NetfsInode& inode = w.create_file({.prepare_write = sim::draw(2) == 0, .writers = writers});
  w.preload(inode, pattern(170, 8 * 1024));
  // Opened here, not in "app": the syncer's fsync may outlive app's fiber.
  model::NetfsFile f = w.open(inode);
  s.spawn("app", [&] {
    const std::uint64_t first = sim::draw(3) * 4096;
    const std::uint64_t len = (1 + sim::draw(3)) * 4096;
    write_all(f, static_cast<model::loff_t>(first), pattern(171, len), {.max_folio_order = 0});
    const std::uint64_t later = first + len + (1 + sim::draw(2)) * 4096 + sim::draw(4096);
    write_all(f, static_cast<model::loff_t>(later), pattern(172, 1 + sim::draw(8192)), {});
    for (std::uint32_t k = 1; k <= writers; ++k) w.server().revoke_key(inode.ino, k);
    model::Folio& held = *model::filemap_get_folio(inode.mapping, later / 4096);
    model::folio_get(held);
    model::folio_lock(held);
    s.spawn("syncer", [&] { model::netfs_fsync(f); });
    sim::sleep((10 + sim::draw(10)) * sim::kMs);
    model::folio_unlock(held);
    model::folio_put(held);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
