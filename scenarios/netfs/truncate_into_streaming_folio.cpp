// Why: a partial write into a folio of server data that is not in the page
//      cache is a streaming write: the folio is dirty, not uptodate, and its
//      record says which bytes are valid. A truncate into that folio at or
//      before the record's start goes to netfs_invalidate_folio(), which
//      erases the record completely and clears PG_uptodate; since
//      156ac2ec2ee7 it also cancels PG_dirty. Before it (`--bug
//      netfs-invalidate-folio-leaves-dirty`, docs/findings.md H3, pinned here
//      as F16 while the pin lacked the fix) the folio looked wholly dirty, and
//      writeback sent its head, bytes that were never read, over the
//      server's data.
// How: a file of `size` bytes on the server, out of the page cache (so its
//      zero_point is its size); a partial write into the folio holding the
//      server's EOF, starting past it; a truncate between the folio's start
//      and the write's; fsync. Data integrity compares the server with what
//      the application wrote: the server's bytes of that folio below its old
//      EOF must survive.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_truncate_into_streaming_folio, "netfs/truncate_into_streaming_folio",
               .faults = false,
               .why = "a truncate into a dirty streaming folio erases its record and its dirty bit") {
  model::World w({.flusher = false});
  model::NetfsInode& inode = w.create_file();
  const std::uint64_t folio = 1 + sim::draw(3);
  const std::uint64_t size = folio * 4096 + 1 + sim::draw(2000);  // the server's EOF, inside the folio
  w.preload(inode, pattern(181, size));
  const std::uint64_t start = size + sim::draw(1000);  // the partial write starts at or past it
  s.spawn("app", [&] {
    model::NetfsFile f = w.open(inode, model::FMODE_WRITE);
    write_all(f, static_cast<model::loff_t>(start), pattern(182, 1 + sim::draw(1000)), {.max_folio_order = 0});
    // A cut past the server's EOF, at or before the write's start (a
    // quarter of the runs exactly at it, the edge): the server keeps its
    // bytes, the record is erased completely.
    const std::uint64_t cut =
        sim::draw(4) == 0 ? start : size + sim::draw(static_cast<std::uint32_t>(start - size + 1));
    model::netfs_truncate(f, static_cast<model::loff_t>(cut));
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
