// Why: copy_folio_from_iter_atomic() copies with page faults disabled and
//      may stop short when a page of the user buffer went away after
//      fault_in_iov_iter_readable(). netfs_perform_write must then keep
//      exactly what was copied: a whole-folio write that came up short is
//      retried as a partial write (maybe_trouble), a streaming record
//      covers only the copied bytes, and what the write returns is the
//      prefix it stored. Nothing copied means -EFAULT (or a short count).
// How: a file on the server, a write-only description (streaming writes),
//      whole-folio and partial writes with the user-copy fault forced on
//      one copy in two; the application continues short writes and retries
//      -EFAULT (its buffer is valid); fsync. Data integrity judges.
#include "model/mm/iov_iter.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_short_user_copies, "netfs/short_user_copies", .pct_steps_hint = 2000,
               .why = "short user copies in netfs_perform_write keep exactly what was copied",
               .params = {{"writes", 12, 1, 64, "writes of the writer"}}) {
  model::World w({.background_thresh_pages = 4 + sim::draw(8)});
  model::NetfsInode& inode = w.create_file();
  constexpr std::uint64_t kFolios = 8;
  w.preload(inode, pattern(9, kFolios * 4096));
  s.spawn("writer", [&] {
    model::force_user_copy_faults(2);
    model::NetfsFile f = w.open(inode, model::FMODE_WRITE);
    for (std::uint32_t i = 0; s.more("writes", i); ++i) {
      // Half the writes cover a whole order-1 folio: only there can a copy
      // stop inside the folio (at its second page), which is the partial
      // whole-folio case; the others are partial writes of any size.
      const bool whole = sim::draw(2) == 0;
      const std::uint64_t folio = whole ? 2 * sim::draw(kFolios / 2) : sim::draw(kFolios);
      const std::uint64_t off = whole ? 0 : sim::draw(4000);
      const std::uint64_t len = whole ? 4096 * (1 + sim::draw(2)) : 1 + sim::draw(6000);
      write_all(f, static_cast<model::loff_t>(folio * 4096 + off), pattern(60 + i, len),
                {.max_folio_order = whole ? 1u : sim::draw(2)});
    }
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
