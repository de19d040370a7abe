// The shared body of the netfs/writeback_keys_exhausted* scenarios
// (docs/findings.md F20).
#pragma once

#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

// Dirties a drawn range, takes every key out of the file's ACL and fsyncs.
// With `hold_later`, a second range two or more folios further on is
// dirtied too and its first folio held locked (as migration would hold it)
// for a while: the issuer waits there with the first range's subrequests
// all sent (whole folios of one wsize each, so none is left open for the
// retry to wait for), and is still issuing when the retry has run out of
// keys.
inline void dirty_revoke_fsync(Context& s, bool hold_later) {
  model::World w({.server = {.wsize = 4096}, .flusher = false});
  const std::uint32_t writers = 1 + sim::draw(3);
  model::NetfsInode& inode = w.create_file({.prepare_write = sim::draw(2) == 0, .writers = writers});
  w.preload(inode, pattern(170, 8 * 1024));
  s.spawn("app", [&] {
    model::NetfsFile f = w.open(inode);
    const std::uint64_t first = hold_later ? sim::draw(3) * 4096 : sim::draw(12 * 1024);
    const std::uint64_t len = hold_later ? (1 + sim::draw(3)) * 4096 : 1 + sim::draw(20 * 1024);
    write_all(f, static_cast<model::loff_t>(first), pattern(171, len), {.max_folio_order = 0});
    const std::uint64_t later = first + len + (1 + sim::draw(2)) * 4096 + sim::draw(4096);
    if (hold_later) write_all(f, static_cast<model::loff_t>(later), pattern(172, 1 + sim::draw(8192)), {});
    for (std::uint32_t k = 1; k <= writers; ++k) w.server().revoke_key(inode.ino, k);
    if (!hold_later) {
      model::netfs_fsync(f);
      return;
    }
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
