// Why: Matthew Wilcox's design makes buffered I/O wait for i_dio_count to
//      reach zero before it brings pages in; a stream of overlapping DIOs
//      keeps the count above zero, so the design "needs a slight tweak to
//      ensure that new DIOs can't hold off a buffered I/O indefinitely" (D5).
// How: two fibers issue back-to-back DIO writes for 300 ms; a buffered
//      reader of another page must still get through within the starvation
//      bound (50 ms here). Device stalls are off: they would stretch single
//      operations past the bound.
#include "scenarios/dio_support.h"

namespace wbsim::scenarios {

WBSIM_DIO_SCENARIO(dio_stream_vs_buffered,
                   {.shape = "dio_stream_vs_buffered",
                    .why = "a stream of DIOs does not starve buffered I/O",
                    .fault_sites_off = "blockdev.stall"}) {
  model::World w;
  model::LocalFs fs(w, {.starvation_bound = 50 * sim::kMs});
  model::LocalInode& inode = dio_file(fs);
  for (std::uint32_t k = 0; k < 2; ++k) {
    s.spawn(fmt::format("direct{}", k), [&, k] {
      model::LocalFile f = fs.open(inode);
      for (std::uint32_t i = 0; sim::now() < 300 * sim::kMs; ++i) {
        model::local_dio_write(f, page(8 + 2 * k), pattern(60 + i, model::kPageSize), /*aio=*/false);
      }
    });
  }
  s.spawn("reader", [&] {
    model::LocalFile f = fs.open(inode);
    sim::sleep((1 + sim::draw(20)) * sim::kMs);
    model::local_buffered_read(f, page(sim::draw(4)), model::kPageSize);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
