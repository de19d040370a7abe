// Why: C26, Kent Overstreet's race (2019): a DIO write shoots its range out
//      of the page cache, then a fault or a buffered read brings the pages
//      back before the write lands. Re-invalidating at completion "doesn't
//      eliminate the race, it just makes it harder to trigger"; bcachefs's
//      answer is a lock every page adder takes.
// How: synchronous DIO writes over pages 2-9 while one fiber faults pages
//      0-11 in and another reads them buffered; dio-readd-window watches
//      every page added inside a write's window.
#include "scenarios/dio_support.h"

namespace wbsim::scenarios {

WBSIM_DIO_SCENARIO(dio_readd_window,
                   {.shape = "readd_window",
                    .why = "no page is re-added over a DIO write's range before it lands (C26)",
                    .netfs = {sim::Expect::fail_sometimes, "dio-readd-window"},
                    .params = {{"writes", 3, 1, 32, "direct writes over the window"}}}) {
  model::World w;
  model::LocalFs fs(w);
  model::LocalInode& inode = dio_file(fs);
  s.spawn("direct", [&] {
    model::LocalFile f = fs.open(inode);
    for (std::int64_t j = 0; s.more("writes", j); ++j) {
      const auto i = static_cast<std::uint32_t>(j);
      model::local_dio_write(f, page(2), pattern(50 + i, 8 * model::kPageSize), /*aio=*/false);
      sim::sleep(sim::draw(300) * sim::kUs);
    }
  });
  spawn_page_adder(s, "faulter", fs, inode, /*mapped=*/true, 6, 1, 400);
  spawn_page_adder(s, "reader", fs, inode, /*mapped=*/false, 4, 1, 400);
  s.run();
  s.spawn("verify", [&] {
    model::LocalFile f = fs.open(inode);
    model::local_mmap_read(f, 0, kDioFilePages * model::kPageSize);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
