// Why: C25's shape (332391a "fs: Fix page cache inconsistency when mixing
//      buffered and AIO DIO"): an asynchronous DIO write invalidates its range
//      when issued and completes later from a workqueue; pages read in
//      meanwhile (readahead from a fault) hold the old data, so completion
//      must drop them again or they stay stale.
// How: io_uring DIO writes over pages 4-7 while a fiber faults its way over
//      pages 0-11 and another reads buffered; afterwards the whole file is
//      read back. Under netfs the re-add itself is the pinned
//      dio-readd-window finding (dio/netfs/readd_window shows it), kept off
//      here: this scenario is about what the completion leaves behind.
#include "scenarios/dio_support.h"

namespace wbsim::scenarios {

WBSIM_DIO_SCENARIO(dio_aio_vs_readahead,
                   {.shape = "aio_vs_readahead",
                    .why = "an AIO DIO write's completion leaves no stale page read in during the write (C25)",
                    .netfs = {.checkers_off = "dio-readd-window"},
                    .params = {{"writes", 3, 1, 32, "AIO direct writes"}}}) {
  model::World w;
  model::LocalFs fs(w);
  model::LocalInode& inode = dio_file(fs);
  s.spawn("aio", [&] {
    model::LocalFile f = fs.open(inode);
    for (std::int64_t j = 0; s.more("writes", j); ++j) {
      const auto i = static_cast<std::uint32_t>(j);
      model::local_dio_write(f, page(4), pattern(40 + i, 4 * model::kPageSize), /*aio=*/true);
      sim::sleep(sim::draw(300) * sim::kUs);
    }
  });
  spawn_page_adder(s, "faulter", fs, inode, /*mapped=*/true, 6, 1, 400);
  spawn_page_adder(s, "reader", fs, inode, /*mapped=*/false, 3, 2, 600);
  s.run();
  s.spawn("verify", [&] {
    model::LocalFile f = fs.open(inode);
    model::local_mmap_read(f, 0, kDioFilePages * model::kPageSize);
    model::local_buffered_read(f, 0, kDioFilePages * model::kPageSize);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
