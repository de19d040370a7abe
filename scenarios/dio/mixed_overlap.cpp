// Why: the everyday mix the designs must keep coherent: buffered writes and
//      reads, direct writes (synchronous and io_uring) and reads, loads and
//      stores through a shared mapping, all on overlapping ranges of one
//      file, with device stalls and errors, reclaim and migration.
// How: four fibers pick operations and ranges from the seed; every read is
//      checked byte by byte against what the writes could have left
//      (dio-data-integrity), and a last pass reads the whole file back
//      buffered, direct and through the mapping.
#include "scenarios/dio_support.h"

namespace wbsim::scenarios {

WBSIM_DIO_SCENARIO(dio_mixed_overlap,
                   {.shape = "mixed_overlap",
                    .why = "buffered, direct and mmap I/O on overlapping ranges stay coherent",
                    .netfs = {sim::Expect::fail_sometimes, "dio-readd-window"},
                    .params = {{"writes", 3, 1, 32, "buffered writes"},
                               {"dio_writes", 3, 1, 32, "direct writes"},
                               {"reads", 4, 1, 32, "buffered, direct or mapped reads"},
                               {"stores", 3, 1, 32, "stores through a mapping"}}}) {
  model::World w;
  model::LocalFs fs(w);
  model::LocalInode& inode = dio_file(fs);
  s.spawn("buffered", [&] {
    model::LocalFile f = fs.open(inode);
    for (std::int64_t j = 0; s.more("writes", j); ++j) {
      const auto i = static_cast<std::uint32_t>(j);
      const model::loff_t pos = sim::draw(12 * 4096);
      model::local_buffered_write(f, pos, pattern(10 + i, 1 + sim::draw(12 * 1024)));
    }
  });
  s.spawn("direct", [&] {
    model::LocalFile f = fs.open(inode);
    for (std::int64_t j = 0; s.more("dio_writes", j); ++j) {
      const auto i = static_cast<std::uint32_t>(j);
      const std::uint64_t first = sim::draw(12);
      model::local_dio_write(f, page(first), pattern(20 + i, (1 + sim::draw(4)) * model::kPageSize),
                             /*aio=*/sim::draw(2) == 0);
    }
  });
  s.spawn("reader", [&] {
    model::LocalFile f = fs.open(inode);
    for (std::int64_t i = 0; s.more("reads", i); ++i) {
      const std::uint64_t first = sim::draw(14);
      switch (sim::draw(3)) {
        case 0: model::local_buffered_read(f, page(first) + sim::draw(4096), 1 + sim::draw(8192)); break;
        case 1: model::local_dio_read(f, page(first), 2 * model::kPageSize, /*aio=*/sim::draw(2) == 0); break;
        default: model::local_mmap_read(f, page(first) + sim::draw(4096), 1 + sim::draw(8192)); break;
      }
    }
  });
  s.spawn("mapper", [&] {
    model::LocalFile f = fs.open(inode);
    for (std::int64_t j = 0; s.more("stores", j); ++j) {
      const auto i = static_cast<std::uint32_t>(j);
      model::local_mmap_write(f, sim::draw(15 * 4096), pattern(30 + i, 1 + sim::draw(2048)));
      sim::sleep(sim::draw(500) * sim::kUs);
    }
  });
  s.run();
  s.spawn("verify", [&] {
    model::LocalFile f = fs.open(inode);
    model::local_buffered_read(f, 0, kDioFilePages * model::kPageSize);
    model::local_mmap_read(f, 0, kDioFilePages * model::kPageSize);
    model::local_dio_read(f, 0, kDioFilePages * model::kPageSize, false);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
