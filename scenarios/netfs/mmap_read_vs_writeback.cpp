// Why: a load through a shared mapping sees what the application last
//      stored at every byte it covers, whether the folio is dirty, under
//      writeback, streaming (read for the fault first) or was dropped and
//      read back from the server; and it faults in exactly the folios it
//      touches (the mapped-access checker).
// How: a writer mixes buffered writes, mmap stores and fdatasync over a
//      file the flusher writes back (low background threshold) while a
//      reader loads ranges through the mapping; the data-integrity checker
//      compares every byte a load returns with the shadow of the writes.
#include "model/netfs/netfs.h"
#include "scenarios/netfs_support.h"
#include "sim/completion.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_mmap_read_vs_writeback, "netfs/mmap_read_vs_writeback", .pct_steps_hint = 3000,
               .why = "mapped loads see the last stores, under writeback and after re-reads",
               .params = {{"writes", 6, 1, 32, "writes and stores of the writer"},
                          {"loads", 6, 1, 32, "mapped loads of the reader"}}) {
  model::World w({.background_thresh_pages = 1, .dirty_thresh_pages = 64});
  model::NetfsInode& inode = w.create_file({.cache = sim::draw(2) == 0});
  constexpr std::uint64_t kSize = 40 * 1024;
  // The reader loads only after the file has its size: a load past EOF
  // would fault with SIGBUS, which the model does not have.
  sim::Completion sized{"sized"};
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    const auto base = pattern(120, kSize);
    // A user copy may come up short or fault (-EFAULT): the rest is tried
    // again, a few times.
    std::uint64_t done = 0;
    for (int attempt = 0; attempt < 8 && done < kSize; ++attempt) {
      const std::vector<std::uint8_t> rest(base.begin() + static_cast<std::ptrdiff_t>(done), base.end());
      const std::int64_t n = model::netfs_file_write(f, static_cast<model::loff_t>(done), rest,
                                                     {.max_folio_order = 2, .random_orders = true});
      if (n > 0) done += static_cast<std::uint64_t>(n);
    }
    sized.complete();
    for (std::int64_t i = 0; s.more("writes", i); ++i) {
      const auto pos = static_cast<model::loff_t>(sim::draw(kSize - 1));
      const auto bytes = pattern(121 + static_cast<std::uint32_t>(i), 1 + sim::draw(6000));
      switch (sim::draw(3)) {
        case 0: model::netfs_mmap_write(f, pos, bytes); break;
        case 1: model::netfs_file_write(f, pos, bytes, {.max_folio_order = 2}); break;
        default: model::netfs_fdatasync(f); break;
      }
      sim::sleep(sim::draw(2) * sim::kMs);
    }
    model::netfs_fdatasync(f);
  });
  s.spawn("reader", [&] {
    model::NetfsFile f = w.open(inode);
    sized.wait();
    for (std::int64_t i = 0; s.more("loads", i); ++i) {
      // Below EOF as it is now: the file never shrinks, so no load faults
      // past it.
      const auto size = std::min(kSize, static_cast<std::uint64_t>(inode.i_size));
      if (size < 2) continue;
      const std::uint64_t pos = sim::draw(size - 1);
      const std::uint64_t len = 1 + sim::draw(size - pos);
      SIM_ASSERT_CMP(model::netfs_mmap_read(f, static_cast<model::loff_t>(pos), len).size(), ==, len);
      sim::sleep(sim::draw(2) * sim::kMs);
    }
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
