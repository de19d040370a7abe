// Why: a finding in mainline's shape, latent in-tree (docs/findings.md F15).
//      netfs_write_folio() reads i_size once, assuming it cannot move into
//      the folio it holds locked; truncate writes i_size before
//      truncate_pagecache() locks the folio (in-tree filesystems keep
//      writeback out of their truncate; the model's does not). Writeback of
//      a dirty streaming folio in that window, with the new EOF inside the
//      folio but below the record's dirty_offset, clamps flen to the EOF
//      and then subtracts foff: the length wraps, and the upload goes on
//      past the folio.
// How: a file on the server, out of the page cache; a partial (streaming)
//      write into one folio and, half the time, a whole-folio write into
//      the next; then a truncate into the first folio, below the streaming
//      write's start, and an fsync at once. truncate_inode_pages_range()
//      locks the straddling folio only after its non-blocking first pass
//      over the folios past EOF: an fsync that locks the streaming folio
//      in that window, or as the truncate writes i_size, writes it back
//      with i_size inside it. Seeds where the truncate locks it first
//      erase the record and the dirty bit (before 156ac2ec2ee7 they met
//      H3, the folio left dirty); seeds where the fsync is done before
//      i_size moves meet neither.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_truncate_streaming_folio_under_writeback, "netfs/truncate_streaming_folio_under_writeback",
               .expect = sim::Expect::fail_sometimes, .expect_checker = "assertion", .faults = false,
               .why = "writeback of a streaming folio a truncate cut below its dirty range wraps its length (finding)") {
  model::World w({.flusher = false});
  model::NetfsInode& inode = w.create_file();
  w.preload(inode, pattern(171, 4 * 4096));
  const std::uint64_t folio = sim::draw(3);  // the streaming folio
  const std::uint64_t off = 2 + sim::draw(2000);
  const std::uint64_t cut = 1 + sim::draw(static_cast<std::uint32_t>(off - 1));  // new EOF inside, below `off`
  bool written = false;
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode, model::FMODE_WRITE);
    write_all(f, static_cast<model::loff_t>(folio * 4096 + off), pattern(172, 1 + sim::draw(1000)),
              {.max_folio_order = 0});
    if (sim::draw(2) == 0) write_all(f, static_cast<model::loff_t>((folio + 1) * 4096), pattern(173, 4096), {.max_folio_order = 0});
    written = true;
  });
  s.spawn("truncater", [&] {
    while (!written) sim::sleep(100 * sim::kUs);
    model::NetfsFile f = w.open(inode, model::FMODE_WRITE);
    model::netfs_truncate(f, static_cast<model::loff_t>(folio * 4096 + cut));
  });
  s.spawn("syncer", [&] {
    while (!written) sim::sleep(100 * sim::kUs);
    model::NetfsFile f = w.open(inode, model::FMODE_WRITE);
    model::netfs_fsync(f);  // writes the streaming folio back, perhaps with i_size inside it
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
