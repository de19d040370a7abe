// Why: faults that sleep on the lock of a folio at the end of the file while
//      a truncate takes it look again (filemap_fault's "truncated meanwhile"
//      retry). The first to look again reads the page afresh: it is past
//      the new EOF, so the fault fails with SIGBUS but leaves the new folio
//      in the page cache, uptodate (it was added before i_size was checked).
//      The next one finds that folio uptodate and past EOF; it too must
//      fail with SIGBUS and drop the reference it took, or the folio leaks.
// How: three fibers read the file's last pages through the mapping while a
//      writer rewrites the file up to its size (its partial writes read the
//      folio first, holding it locked while the slow server answers) and
//      truncates it inside the first pages right after each rewrite.
//      Refcount judges every folio that left the page cache, data integrity
//      every read.
#include <string>

#include "model/netfs/netfs.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_fault_vs_truncate_eof, "netfs/fault_vs_truncate_eof", .pct_steps_hint = 2000,
               .why = "faults that looked again after a truncate fail with SIGBUS past the new EOF and keep no reference",
               .params = {{"ops", 12, 1, 64, "mapped reads of each reader, rewrites and truncates of the writer"}}) {
  model::World w({.server = {.latency_min = sim::kMs, .latency_max = 3 * sim::kMs}});
  model::NetfsInode& inode = w.create_file();
  // The O_RDWR file does not stream (the policy of kernels before
  // 70a7b9193bbb), so the rewrites read their partial folios first: the long
  // folio lock hold the faults must wait out.
  inode.streaming_write_only_files = true;
  constexpr std::uint64_t kSize = 4 * 4096;
  w.preload(inode, pattern(70, kSize));
  for (std::uint32_t r = 0; r < 3; ++r) {
    s.spawn("faulter" + std::to_string(r), [&] {
      model::NetfsFile f = w.open(inode);
      for (std::int64_t i = 0; s.more("ops", i); ++i) {
        const auto at = static_cast<model::loff_t>(2 * 4096 + sim::draw(2 * 4096));
        if (at < inode.i_size) model::netfs_mmap_read(f, at, 1 + sim::draw(64));
        sim::sleep(sim::draw(500) * sim::kUs);
      }
    });
  }
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode);
    for (std::int64_t i = 0; s.more("ops", i); ++i) {
      const model::loff_t size = inode.i_size;
      write_all(f, size, pattern(80 + static_cast<std::uint32_t>(i), kSize - static_cast<std::uint64_t>(size)), {});
      model::netfs_truncate(f, static_cast<model::loff_t>(1 + sim::draw(2 * 4096)));
      sim::sleep(sim::draw(1000) * sim::kUs);
    }
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
