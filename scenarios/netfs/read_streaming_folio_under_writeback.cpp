// Why: a partial write into a folio that is not uptodate leaves a streaming
//      record and only the written bytes valid. Once writeback has started
//      on it, the folio is no longer dirty. Since ded0c6f16060
//      netfs_read_folio() waits for that writeback to end before it looks.
//      Before it (`--bug netfs-read-folio-no-writeback-wait`,
//      docs/findings.md H2, pinned here as F7 while the pin lacked the fix) the
//      read did not take netfs_read_gaps(): it read the whole folio from the
//      server, over the bytes still being written, marked it uptodate and
//      dropped the record that the writeback engine owns until writeback
//      ends. If the server had not stored the write yet, the page cache held
//      the old bytes as uptodate.
// How: a file on the server; a partial write into one of its folios; an
//      fsync in another fiber while the server sits on the write; a read of
//      the folio meanwhile; then the server goes on. The read must return
//      the written bytes.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_read_streaming_folio_under_writeback, "netfs/read_streaming_folio_under_writeback",
               .faults = false,
               .why = "a read of a streaming folio under writeback waits for it to end") {
  model::World w({.flusher = false});
  model::NetfsInode& inode = w.create_file();
  w.preload(inode, pattern(161, 4 * 4096));
  const std::uint64_t folio = sim::draw(4);
  const std::uint64_t off = 1 + sim::draw(2000);
  bool syncing = false;
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode, model::FMODE_WRITE);
    write_all(f, static_cast<model::loff_t>(folio * 4096 + off), pattern(162, 1 + sim::draw(2000)),
              {.max_folio_order = 0});
    w.server().stall_until_released();
    syncing = true;
    model::netfs_fsync(f);
  });
  s.spawn("reader", [&] {
    while (!syncing) sim::sleep(100 * sim::kUs);
    sim::sleep(sim::kMs);  // the write RPC is held by the server
    model::NetfsFile f = w.open(inode);
    model::netfs_file_read(f, static_cast<model::loff_t>(folio * 4096), 4096);
  });
  s.spawn("server-op", [&] {
    // The server goes on a while after the read began, whether or not the
    // read waits for the writeback it holds.
    while (!syncing) sim::sleep(100 * sim::kUs);
    sim::sleep(2 * sim::kMs + sim::draw(1000) * sim::kUs);
    w.server().release();
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
