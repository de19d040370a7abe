// Why: Kent (2019): without a "write-and-invalidate without allowing
//      redirty", "a process continuously redirtying a page is going to make
//      truncate/dio operations spin". bcachefs's DIO writes back and
//      invalidates in a loop until no page is dirty; its page_mkwrite takes
//      the pagecache add lock, so a redirtier waits for the DIO instead.
// How: a fiber stores to page 3 through a mapping every 50 us for 60 ms
//      while another writes pages 2-5 direct and then truncates the file;
//      both must return within the 50 ms starvation bound. Device stalls
//      are off: they would stretch single operations past the bound.
#include "scenarios/dio_support.h"

namespace wbsim::scenarios {

WBSIM_DIO_SCENARIO(dio_redirty_vs_dio,
                   {.shape = "redirty_vs_dio",
                    .why = "a mapped redirtier cannot make a DIO or truncate spin",
                    .fault_sites_off = "blockdev.stall",
                    .netfs = {sim::Expect::fail_sometimes, "dio-readd-window"},
                    .lock_entries = {sim::Expect::fail_sometimes, "dio-starvation"}}) {
  model::World w;
  model::LocalFs fs(w, {.starvation_bound = 50 * sim::kMs});
  model::LocalInode& inode = dio_file(fs);
  bool done = false;
  s.spawn("redirtier", [&] {
    model::LocalFile f = fs.open(inode);
    for (std::uint32_t i = 0; !done && sim::now() < 60 * sim::kMs; ++i) {
      model::local_mmap_write(f, page(3) + sim::draw(4000), pattern(110 + i % 64, 1 + sim::draw(64)));
      sim::sleep(50 * sim::kUs);
    }
  });
  s.spawn("direct", [&] {
    model::LocalFile f = fs.open(inode);
    sim::sleep((1 + sim::draw(3)) * sim::kMs);
    model::local_dio_write(f, page(2), pattern(120, 4 * model::kPageSize), /*aio=*/sim::draw(2) == 0);
    model::local_truncate(f, page(12));
    done = true;
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
