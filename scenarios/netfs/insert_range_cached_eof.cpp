// Why: cifs's insert range (smb3_insert_range) writes the file back from
//      the offset up, then drops the page cache with
//      truncate_pagecache_range(inode, off, old_eof). The end byte is the
//      old EOF, which is rarely the last byte of a page: the folio holding
//      it is only partly inside the range, so mm/truncate.c zeroes its part
//      up to the old EOF and keeps it, uptodate. The server then shifts
//      everything from the offset up by the inserted length, and the bytes
//      moved into that folio's place read from the cache as zeros (F24;
//      the known finding netfs-insert-range-zeroes-eof-folio). Found by
//      replaying fsx logs recorded on ext4 (full-s21, full-s24).
// How: a file whose size is not a multiple of the page size, read whole so
//      its EOF folio is cached; one page inserted below the EOF's page;
//      the moved bytes read back. Data integrity fires on every seed.
#include "model/netfs/netfs.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_insert_range_cached_eof, "netfs/insert_range_cached_eof",
               .expect = sim::Expect::fail_always, .expect_checker = "data-integrity", .pct_steps_hint = 400,
               .why = "insert range zeroes the cached folio holding the old EOF and keeps it (F24)") {
  model::World w;
  model::NetfsInode& inode = w.create_file();
  const std::uint64_t size = 3 * 4096 + 1 + sim::draw(4095);
  w.preload(inode, pattern(80, size));
  s.spawn("app", [&] {
    model::NetfsFile f = w.open(inode);
    model::netfs_file_read(f, 0, size);  // the EOF folio is cached
    const auto at = static_cast<model::loff_t>(4096 * (1 + sim::draw(2)));
    SIM_ASSERT_CMP(model::netfs_range_op(f, model::RangeOp::insert_range, at, 4096, 0, false), ==, 0);
    model::netfs_file_read(f, 0, static_cast<std::uint64_t>(inode.i_size));
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
