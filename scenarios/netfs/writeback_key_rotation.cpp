// Why: afs sends writeback under the keys of the users who wrote the file
//      (vnode->wb_keys) and, when the server refuses one (-EACCES: an ACL
//      change, a revoked token), rotates to the next through netfs's retry:
//      afs_issue_write_worker() marks the refused subrequest NEED_RETRY while
//      the request holds a key record, and afs_retry_request() takes the
//      next key before the stream is resent.
//
// netfs/writeback_key_rotation: while one of the writers' keys is still
//      admitted, a refusal must be absorbed: no -EACCES reaches the
//      application and the data reaches the server.
// How: a file written by two or three users; writers write random ranges
//      (some extending) and fsync, the flusher writes back meanwhile; at a
//      drawn moment the server takes keys out of the file's ACL (the first,
//      which every request starts from, most often), always leaving one.
//      Swarm faults on.
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

namespace {

// One writer's loop: writes (a third of them past EOF) and an fsync each;
// an -EACCES from the server must not reach it while a key is admitted.
void write_and_sync(Context& s, model::World& w, model::NetfsInode& inode, std::uint32_t tag,
                    const char* loop) {
  model::NetfsFile f = w.open(inode);
  for (std::int64_t i = 0; s.more(loop, i); ++i) {
    const std::uint64_t size = static_cast<std::uint64_t>(inode.i_size);
    const std::uint64_t pos = sim::draw(3) == 0 ? size + sim::draw(4096) : sim::draw(std::max<std::uint64_t>(size, 1));
    const std::int64_t r = write_all(f, static_cast<model::loff_t>(pos),
                                     pattern(tag + static_cast<std::uint32_t>(i), 1 + sim::draw(12 * 1024)), {});
    SIM_CHECK("app-contract", r != model::kEACCES, "a write returned -EACCES while a writer's key was admitted");
    const int err = model::netfs_fsync(f);
    SIM_CHECK("app-contract", err != model::kEACCES,
              "fsync returned -EACCES while a writer's key was still admitted: the key rotation did not absorb "
              "the refusal");
    sim::sleep(sim::draw(3) * sim::kMs);
  }
}

}  // namespace

WBSIM_SCENARIO(netfs_writeback_key_rotation, "netfs/writeback_key_rotation", .pct_steps_hint = 3000,
               .why = "a refused writeback key is rotated away while another writer's key is admitted",
               .params = {{"writes", 4, 1, 32, "write+fsync rounds of each writer"}}) {
  model::World w({.server = {.wsize = 8192}, .background_thresh_pages = 4, .dirty_thresh_pages = 64});
  const std::uint32_t writers = 2 + sim::draw(2);
  model::NetfsInode& inode =
      w.create_file({.prepare_write = sim::draw(2) == 0, .writers = writers});
  w.preload(inode, pattern(160, 16 * 1024));
  s.spawn("writer-a", [&] { write_and_sync(s, w, inode, 161, "writes"); });
  s.spawn("writer-b", [&] { write_and_sync(s, w, inode, 181, "writes"); });
  s.spawn("admin", [&] {
    // Keys go one at a time, the first (every request starts from it) at
    // least half the time; one always stays.
    const std::uint32_t revoke = 1 + sim::draw(writers - 1);
    std::vector<std::uint32_t> keys;
    for (std::uint32_t k = 1; k <= writers; ++k) keys.push_back(k);
    for (std::uint32_t n = 0; n < revoke; ++n) {
      sim::sleep(sim::draw(8) * sim::kMs);
      const std::size_t at = sim::draw(2) == 0 ? 0 : sim::draw(static_cast<std::uint32_t>(keys.size() - 1));
      w.server().revoke_key(inode.ino, keys[at]);
      keys.erase(keys.begin() + static_cast<std::ptrdiff_t>(at));
    }
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
