// dirty-throttle (checkers/dirty_throttle.cpp): a task that stores into the
// page cache calls balance_dirty_pages_ratelimited() after its last store,
// and a writer paused there keeps background writeback going. Fires on a
// planted store that never balances and on a planted pause that never kicks
// the flusher; quiet on the engine's buffered, writethrough and mapped
// writes, and on a real throttled writer.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "model/mm/page_writeback.h"
#include "model/netfs/netfs.h"
#include "sim/mutex.h"
#include "tests/checked_run.h"

namespace wbsim {
namespace {

using test::checked::checker_of;
using test::checked::in_one_fiber;
using test::checked::message_of;
using test::checked::run_checked;

TEST(DirtyThrottleChecker, fires_when_a_mapped_store_returns_without_balancing) {
  const auto r = in_one_fiber("app", [](model::World& w, model::NetfsInode& inode) {
    model::NetfsFile f = w.open(inode);
    const std::vector<std::uint8_t> bytes(4096, 0x5a);
    ASSERT_EQ(model::netfs_file_write(f, 0, bytes, {}), 4096);
    // A store through a mapping, announced as the model's is, that never
    // calls balance_dirty_pages_ratelimited().
    MODEL_EVENT(mapped_access(inode, 0, 100, true));
    MODEL_EVENT(data_stored(inode, 0, std::span(bytes).first(100)));
    MODEL_EVENT(mapped_access(inode, 0, 100, false));
  });
  ASSERT_EQ(checker_of(r), "dirty-throttle") << message_of(r);
  EXPECT_NE(message_of(r).find("a store through a mapping at 0 stored into the page cache and returned without"),
            std::string::npos)
      << message_of(r);
}

TEST(DirtyThrottleChecker, stays_quiet_on_buffered_writethrough_and_mapped_writes) {
  const auto r = in_one_fiber("app", [](model::World& w, model::NetfsInode& inode) {
    model::NetfsFile f = w.open(inode);
    const std::vector<std::uint8_t> bytes(6000, 0x5a);
    ASSERT_EQ(model::netfs_file_write(f, 0, bytes, {}), 6000);
    // Writethrough: netfs_perform_write balances after every folio there too.
    ASSERT_EQ(model::netfs_file_write(f, 6000, bytes, {.writethrough = true}), 6000);
    model::netfs_mmap_write(f, 100, std::vector<std::uint8_t>(5000, 0x6b));
    ASSERT_EQ(model::netfs_fsync(f), 0);
  });
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// Dirty data over the background threshold that the flusher cannot write
// while the test holds wb_lock (netfs skips a WB_SYNC_NONE walk then), and
// a writer paused for a while: by balance_dirty_pages itself, or (planted)
// announced as paused with no kick at all.
sim::RunResult paused_writer(bool real) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.background_thresh_pages = 2, .dirty_thresh_pages = 4});
    model::NetfsInode& inode = w.create_file();
    s.spawn("locker", [&] {
      inode.wb_lock->lock();
      sim::sleep(real ? 300 * sim::kMs : 7 * sim::kSec);
      inode.wb_lock->unlock();
    });
    s.spawn("writer", [&] {
      model::NetfsFile f = w.open(inode);
      sim::sleep(sim::kMs);
      ASSERT_EQ(model::netfs_file_write(f, 0, std::vector<std::uint8_t>(3 * 4096, 0x11), {}), 3 * 4096);
      if (real) {
        // Over the dirty threshold: balance pauses until the flusher, kicked
        // every pause, writes some back once wb_lock is free.
        ASSERT_EQ(model::netfs_file_write(f, 3 * 4096, std::vector<std::uint8_t>(2 * 4096, 0x22), {}), 2 * 4096);
        EXPECT_GE(sim::now(), 300 * sim::kMs);  // it was paused until wb_lock was free
      } else {
        MODEL_EVENT(dirty_throttle(w.mm(), true));
        sim::sleep(6 * sim::kSec);
        MODEL_EVENT(dirty_throttle(w.mm(), false));
      }
      ASSERT_EQ(model::netfs_fsync(f), 0);
      w.flusher()->stop();
    });
    s.run();
  });
}

TEST(DirtyThrottleChecker, fires_when_a_paused_writer_leaves_the_flusher_asleep) {
  const auto r = paused_writer(/*real=*/false);
  ASSERT_EQ(checker_of(r), "dirty-throttle") << message_of(r);
  EXPECT_NE(message_of(r).find("while a writer was paused in balance_dirty_pages"), std::string::npos)
      << message_of(r);
}

TEST(DirtyThrottleChecker, stays_quiet_on_a_writer_throttled_behind_wb_lock) {
  const auto r = paused_writer(/*real=*/true);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

}  // namespace
}  // namespace wbsim
