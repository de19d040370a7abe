// folio-state (checkers/folio_state.cpp): a page-cache drop removes every
// folio that was clean when it began and stayed so. Fires on a planted drop
// that invalidates nothing; quiet on netfs_invalidate_inode_pages2 itself.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "model/mm/filemap.h"
#include "model/netfs/netfs.h"
#include "tests/checked_run.h"

namespace wbsim {
namespace {

using test::checked::checker_of;
using test::checked::in_one_fiber;
using test::checked::message_of;

// Two pages written and synced, then the page cache dropped, or (planted)
// the drop announced around no invalidation at all.
sim::RunResult drop_after_sync(bool invalidate) {
  return in_one_fiber("app", [&](model::World& w, model::NetfsInode& inode) {
    model::NetfsFile f = w.open(inode);
    ASSERT_EQ(model::netfs_file_write(f, 0, std::vector<std::uint8_t>(8192, 0x3c), {}), 8192);
    ASSERT_EQ(model::netfs_fsync(f), 0);
    if (invalidate) {
      ASSERT_EQ(model::netfs_invalidate_inode_pages2(f), 0);
      return;
    }
    MODEL_EVENT(page_cache_drop_begin(inode));
    MODEL_EVENT(page_cache_drop_returned(inode));
  });
}

TEST(FolioStateChecker, fires_when_a_page_cache_drop_leaves_a_clean_folio_cached) {
  const auto r = drop_after_sync(/*invalidate=*/false);
  ASSERT_EQ(checker_of(r), "folio-state") << message_of(r);
  EXPECT_NE(message_of(r).find("was clean through the page-cache drop and is still cached after it"), std::string::npos)
      << message_of(r);
}

TEST(FolioStateChecker, stays_quiet_when_the_drop_invalidates_every_clean_folio) {
  const auto r = drop_after_sync(/*invalidate=*/true);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

}  // namespace
}  // namespace wbsim
