// Why: a DIO write whose source buffer is a shared mapping of the same file
//      faults those pages in through gup while the DIO holds whatever its
//      design holds. Dave Chinner and Kent: such a fault must "terminate ...,
//      back out of the IO and return EDEADLOCK", never wait on the DIO
//      itself (D4).
// How: DIO writes over pages 2-5 from a mapping of pages 4-7 (overlapping)
//      or 10-13 (disjoint), chosen by the seed, beside a reader.
#include "scenarios/dio_support.h"

namespace wbsim::scenarios {

WBSIM_DIO_SCENARIO(dio_gup_same_file,
                   {.shape = "gup_same_file",
                    .why = "a DIO sourced from a mapping of its own file never waits on itself",
                    .netfs = {sim::Expect::fail_sometimes, "dio-readd-window"},
                    .lock_entries = {sim::Expect::fail_sometimes, "dio-gup-self-deadlock"},
                    .dio_via_pagecache = {sim::Expect::fail_sometimes, "dio-gup-self-deadlock"},
                    .params = {{"dio_writes", 2, 1, 32, "direct writes from a mapping of the same file"},
                               {"reads", 3, 1, 32, "buffered reads of the reader"}}}) {
  model::World w;
  model::LocalFs fs(w);
  model::LocalInode& inode = dio_file(fs);
  s.spawn("direct", [&] {
    model::LocalFile f = fs.open(inode);
    for (std::int64_t i = 0; s.more("dio_writes", i); ++i) {
      const model::loff_t src = sim::draw(2) == 0 ? page(4) : page(10);
      model::local_dio_write(f, page(2), std::vector<std::uint8_t>(4 * model::kPageSize), /*aio=*/sim::draw(2) == 0,
                             src);
    }
  });
  s.spawn("reader", [&] {
    model::LocalFile f = fs.open(inode);
    for (std::int64_t i = 0; s.more("reads", i); ++i) {
      model::local_buffered_read(f, page(sim::draw(14)), 2 * model::kPageSize);
      sim::sleep(sim::draw(500) * sim::kUs);
    }
  });
  s.run();
  s.spawn("verify", [&] {
    model::LocalFile f = fs.open(inode);
    model::local_buffered_read(f, 0, kDioFilePages * model::kPageSize);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
