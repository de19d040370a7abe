// invalidate_mapping_pages() (model/mm/truncate.cpp, mm/truncate.c): the
// best-effort drop of drop_caches and fadvise(DONTNEED) trylocks, skips
// what is locked, dirty, under writeback or referenced, and never waits;
// invalidate_inode_pages2() waits for the lock and removes referenced
// folios. netfs_drop_page_cache is the first, netfs_invalidate_inode_pages2
// the second.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "model/mm/folio.h"
#include "model/mm/truncate.h"
#include "model/netfs/netfs.h"
#include "model/world.h"
#include "tests/checked_run.h"

namespace wbsim {
namespace {

using test::checked::checker_of;
using test::checked::message_of;
using test::checked::run_checked;

struct After {
  bool cached[4] = {};      // pages 0..3 still in the page cache after the drop
  sim::Time returned_at = 0;  // when the drop returned
};

constexpr sim::Time kHeld = 10 * sim::kMs;  // how long another fiber holds page 2's lock

// Four order-0 folios written and synced; then page 1 is referenced by the
// app, page 2 locked by another fiber for kHeld, page 3 dirtied again
// (both drops write the file back first), and the page cache dropped one
// way or the other.
After drop_with_busy_folios(bool drop_caches) {
  After after;
  const sim::RunResult r = run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    bool synced = false;
    s.spawn("app", [&] {
      model::NetfsFile f = w.open(inode);
      ASSERT_EQ(model::netfs_file_write(f, 0, std::vector<std::uint8_t>(4 * 4096, 0x5a), {.max_folio_order = 0}), 4 * 4096);
      ASSERT_EQ(model::netfs_fsync(f), 0);
      synced = true;
      sim::sleep(sim::kMs);  // the holder takes page 2's lock
      model::Folio* held = model::filemap_get_folio(inode.mapping, 1);
      ASSERT_NE(held, nullptr);
      model::folio_get(*held);
      // Page 3 dirtied again: both drops write the file back first.
      ASSERT_EQ(model::netfs_file_write(f, 3 * 4096, std::vector<std::uint8_t>(100, 0x77), {}), 100);
      if (drop_caches) {
        ASSERT_EQ(model::netfs_drop_page_cache(f), 0);
      } else {
        ASSERT_EQ(model::netfs_invalidate_inode_pages2(f), 0);
      }
      after.returned_at = sim::now();
      for (std::uint32_t i = 0; i < 4; ++i) after.cached[i] = model::filemap_get_folio(inode.mapping, i) != nullptr;
      model::folio_put(*held);
    });
    s.spawn("holder", [&] {
      while (!synced) sim::sleep(100 * sim::kUs);
      model::Folio* folio = model::filemap_get_folio(inode.mapping, 2);
      ASSERT_NE(folio, nullptr);
      model::folio_get(*folio);
      model::folio_lock(*folio);
      sim::sleep(kHeld);
      model::folio_unlock(*folio);
      model::folio_put(*folio);
    });
    s.run();
  });
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
  return after;
}

TEST(InvalidateMappingPages, skips_locked_and_referenced_folios_and_never_waits) {
  const After a = drop_with_busy_folios(/*drop_caches=*/true);
  EXPECT_FALSE(a.cached[0]);  // clean and unused: dropped
  EXPECT_TRUE(a.cached[1]);   // referenced by the app: in use
  EXPECT_TRUE(a.cached[2]);   // locked by the holder: the trylock fails
  EXPECT_FALSE(a.cached[3]);  // written back first, then unused
  EXPECT_LT(a.returned_at, kHeld) << "drop_caches waited for a folio lock";
}

TEST(InvalidateInodePages2, waits_for_the_lock_and_drops_referenced_folios) {
  const After a = drop_with_busy_folios(/*drop_caches=*/false);
  for (std::uint32_t i = 0; i < 4; ++i) EXPECT_FALSE(a.cached[i]) << "page " << i;
  EXPECT_GE(a.returned_at, kHeld) << "invalidate_inode_pages2 did not wait for the locked folio";
}

// mapping_evict_folio() on a locked folio: a dirty one stays; a clean one
// goes, and the pages freed are counted.
TEST(MappingEvictFolio, keeps_a_dirty_folio_and_frees_a_clean_one) {
  long dirty_ret = -1;
  long clean_ret = -1;
  const sim::RunResult r = run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("app", [&] {
      model::NetfsFile f = w.open(inode);
      ASSERT_EQ(model::netfs_file_write(f, 0, std::vector<std::uint8_t>(4096, 0x11), {.max_folio_order = 0}), 4096);
      model::Folio* folio = model::filemap_get_folio(inode.mapping, 0);
      ASSERT_NE(folio, nullptr);
      model::folio_get(*folio);
      model::folio_lock(*folio);
      dirty_ret = model::mapping_evict_folio(inode.mapping, *folio);
      model::folio_unlock(*folio);
      model::folio_put(*folio);
      ASSERT_EQ(model::netfs_fsync(f), 0);
      folio = model::filemap_get_folio(inode.mapping, 0);
      ASSERT_NE(folio, nullptr);
      model::folio_get(*folio);
      model::folio_lock(*folio);
      clean_ret = model::mapping_evict_folio(inode.mapping, *folio);
      model::folio_unlock(*folio);
      model::folio_put(*folio);
      EXPECT_EQ(model::filemap_get_folio(inode.mapping, 0), nullptr);
    });
    s.run();
  });
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
  EXPECT_EQ(dirty_ret, 0);
  EXPECT_EQ(clean_ret, 1);
}

}  // namespace
}  // namespace wbsim
