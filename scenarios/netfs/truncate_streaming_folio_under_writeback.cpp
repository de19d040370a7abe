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
//      write into one folio and a whole-folio write into the next; the
//      server sits on the next folio's writeback; a truncate into the first
//      folio below the streaming write's start waits on the second folio's
//      writeback with i_size already lowered; an fsync meanwhile writes the
//      first folio back.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_truncate_streaming_folio_under_writeback, "netfs/truncate_streaming_folio_under_writeback",
               .expect = sim::Expect::fail_always, .expect_checker = "assertion", .faults = false,
               .why = "writeback of a streaming folio a truncate cut below its dirty range wraps its length (finding)") {
  model::World w({.flusher = false});
  model::NetfsInode& inode = w.create_file();
  w.preload(inode, pattern(171, 4 * 4096));
  const std::uint64_t folio = sim::draw(3);  // the streaming folio; the next one is written whole
  const std::uint64_t off = 2 + sim::draw(2000);
  const std::uint64_t cut = 1 + sim::draw(static_cast<std::uint32_t>(off - 1));  // new EOF inside, below `off`
  const auto next = static_cast<model::loff_t>((folio + 1) * 4096);
  int phase = 0;
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode, model::FMODE_WRITE);
    write_all(f, static_cast<model::loff_t>(folio * 4096 + off), pattern(172, 1 + sim::draw(1000)),
              {.max_folio_order = 0});
    write_all(f, next, pattern(173, 4096), {.max_folio_order = 0});
    w.server().stall_until_released();
    phase = 1;
    model::netfs_fsync_range(f, next, next + 4095);  // the next folio: under writeback, held by the server
  });
  s.spawn("truncater", [&] {
    while (phase < 1) sim::sleep(100 * sim::kUs);
    sim::sleep(sim::kMs);
    phase = 2;
    model::NetfsFile f = w.open(inode, model::FMODE_WRITE);
    model::netfs_truncate(f, static_cast<model::loff_t>(folio * 4096 + cut));  // waits on the next folio
  });
  s.spawn("syncer", [&] {
    while (phase < 2) sim::sleep(100 * sim::kUs);
    sim::sleep(sim::kMs);
    model::NetfsFile f = w.open(inode, model::FMODE_WRITE);
    model::netfs_fsync(f);  // writes the streaming folio back with i_size inside it
    w.server().release();
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
