// Why: folios read from the server are marked dirty with the copy-to-cache
//      mark; writeback must send them to the cache stream only, never upload
//      them, then clear the mark, and a cache failure must only invalidate
//      the cache.
// How: a file already on the server is read through a cached inode, then
//      written back (fsync); nothing may be uploaded, and the cache must
//      then hold what was read.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_copy_to_cache_only, "netfs/copy_to_cache_only",
               .why = "copy-to-cache folios go to the cache stream only") {
  model::World w;
  model::NetfsInode& inode = w.create_file({.cache = true});
  const auto original = pattern(4, 40 * 1024);
  w.preload(inode, original);
  const std::uint64_t uploads_before = w.server().file(0).writes;
  s.spawn("reader", [&] {
    model::NetfsFile f = w.open(inode);
    const auto got = model::netfs_file_read(f, 0, original.size());
    SIM_ASSERT(got == original);
    model::netfs_fsync(f);
    // Only copy-to-cache data was dirty: nothing may have been uploaded.
    SIM_ASSERT_CMP(w.server().file(0).writes, ==, uploads_before);
    // And what was read is in the cache, the copy-to-cache's purpose, unless
    // a cache write failed (which only invalidates the cache).
    if (w.cache().failed_writes() == 0 && !w.cache().withdrawn()) {
      const auto& cached = w.cache().data(inode.ino);
      SIM_CHECK("data-integrity",
                cached.size() >= original.size() && std::equal(original.begin(), original.end(), cached.begin()),
                "after fsync the cache holds {} bytes, not the {} read from the server", cached.size(),
                original.size());
    }
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
