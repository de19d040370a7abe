// Why: truncate and hole punching drop pages that faults, page_mkwrite and
//      readahead keep bringing back: mapping->invalidate_lock (taken by the
//      fault that reads a page in and by page_mkwrite) is what keeps a page
//      from being re-added or redirtied behind the drop, with the design's
//      own locks on top.
// How: a fiber truncates the file down and back up and punches a hole while
//      one fiber loads and stores through a mapping and another reads and
//      writes buffered and direct; a store past EOF is lost (SIGBUS), and
//      every read must see zeros where the file was cut or punched.
#include "scenarios/dio_support.h"

namespace wbsim::scenarios {

WBSIM_DIO_SCENARIO(dio_truncate_vs_faults,
                   {.shape = "truncate_vs_faults",
                    .why = "truncate and punch-hole never leave a page re-added or redirtied behind the drop",
                    .netfs = {sim::Expect::fail_sometimes, "dio-readd-window"},
                    .params = {{"faults", 8, 1, 32, "mapped stores or reads of the mapper"},
                               {"ops", 4, 1, 32, "buffered writes, direct writes or reads of the io fiber"}}}) {
  model::World w;
  model::LocalFs fs(w);
  model::LocalInode& inode = dio_file(fs);
  s.spawn("layout", [&] {
    model::LocalFile f = fs.open(inode);
    sim::sleep(sim::draw(2000) * sim::kUs);
    model::local_truncate(f, page(4 + sim::draw(6)) + sim::draw(4096));
    sim::sleep(sim::draw(2000) * sim::kUs);
    model::local_truncate(f, page(kDioFilePages));
    model::local_fallocate(f, model::FallocMode::punch_hole, page(sim::draw(12)), 2 * model::kPageSize);
  });
  s.spawn("mapper", [&] {
    model::LocalFile f = fs.open(inode);
    for (std::int64_t j = 0; s.more("faults", j); ++j) {
      const auto i = static_cast<std::uint32_t>(j);
      const model::loff_t at = page(sim::draw(14)) + sim::draw(4096);
      if (sim::draw(2) == 0) {
        model::local_mmap_write(f, at, pattern(70 + i, 1 + sim::draw(4096)));
      } else {
        model::local_mmap_read(f, at, 1 + sim::draw(4096));
      }
      sim::sleep(sim::draw(800) * sim::kUs);
    }
  });
  s.spawn("io", [&] {
    model::LocalFile f = fs.open(inode);
    for (std::int64_t j = 0; s.more("ops", j); ++j) {
      const auto i = static_cast<std::uint32_t>(j);
      switch (sim::draw(3)) {
        case 0: model::local_buffered_write(f, page(sim::draw(14)), pattern(80 + i, 1 + sim::draw(8192))); break;
        case 1: model::local_dio_write(f, page(sim::draw(14)), pattern(80 + i, model::kPageSize), sim::draw(2) == 0); break;
        default: model::local_buffered_read(f, page(sim::draw(14)), 2 * model::kPageSize); break;
      }
      sim::sleep(sim::draw(1000) * sim::kUs);
    }
  });
  s.run();
  s.spawn("verify", [&] {
    model::LocalFile f = fs.open(inode);
    model::local_buffered_read(f, 0, kDioFilePages * model::kPageSize);
    model::local_mmap_read(f, 0, kDioFilePages * model::kPageSize);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
