// netfs_invalidate_folio() (model/netfs/misc.cpp) on a dirty streaming
// folio, as fs/netfs/misc.c has it with the May 2026 fixes: a cut that
// covers the record from its start erases it and, since 156ac2ec2ee7, the
// folio's dirty bit; a cut over the record's front moves its start to the
// cut's end (6d91acc7fb85: it went to the cut's start); a cut over its tail
// shortens it; a cut inside it leaves it whole. The model's truncate only
// makes cuts that run to the folio's end, so the front and middle cases
// are driven here directly, as truncate_inode_partial_folio() would for a
// hole punched by truncate_pagecache_range(): the range zeroed, then
// ->invalidate_folio.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/mm/folio.h"
#include "model/netfs/internal.h"
#include "scenarios/netfs_support.h"
#include "tests/checked_run.h"

namespace wbsim {
namespace {

using test::checked::checker_of;
using test::checked::run_checked;

struct After {
  bool present = false;  // the folio is still in the page cache
  bool dirty = false;
  bool uptodate = false;
  bool record = false;  // a streaming record is attached
  std::uint32_t dirty_offset = 0;
  std::uint32_t dirty_len = 0;
};

// A 4-page file on the server, out of the page cache; a write-only file
// writes bytes [1000, 3000) of page 1 (a streaming write: the folio is
// dirty, not uptodate, its record 1000+2000); then `cut` runs in the same
// fiber and the folio's state is read back.
After streaming_folio_after(const std::function<void(model::NetfsFile&, model::Folio&)>& cut,
                            std::vector<std::string> bugs = {}) {
  After out;
  const sim::RunResult r = run_checked(
      [&](sim::Scheduler& s, checkers::Suite&) {
        model::World w({.flusher = false});
        model::NetfsInode& inode = w.create_file();
        w.preload(inode, scenarios::pattern(1, 4 * 4096));
        s.spawn("app", [&] {
          model::NetfsFile f = w.open(inode, model::FMODE_WRITE);
          scenarios::write_all(f, 4096 + 1000, scenarios::pattern(2, 2000), {.max_folio_order = 0});
          model::Folio* folio = inode.mapping.folios.at(1);
          const model::NetfsFolio* finfo = model::netfs_folio_info(*folio);
          ASSERT_NE(finfo, nullptr);
          ASSERT_EQ(finfo->dirty_offset, 1000u);
          ASSERT_EQ(finfo->dirty_len, 2000u);
          cut(f, *folio);
          const auto it = inode.mapping.folios.find(1);
          out.present = it != inode.mapping.folios.end();
          if (!out.present) return;
          out.dirty = model::folio_test_dirty(*it->second);
          out.uptodate = model::folio_test_uptodate(*it->second);
          if (const model::NetfsFolio* after = model::netfs_folio_info(*it->second)) {
            out.record = true;
            out.dirty_offset = after->dirty_offset;
            out.dirty_len = after->dirty_len;
          }
        });
        s.run();
      },
      std::move(bugs));
  EXPECT_EQ(checker_of(r), "none");
  return out;
}

// The cut truncate_inode_partial_folio() makes for [from, to) of the folio.
void punch(model::Folio& folio, std::uint64_t from, std::uint64_t to) {
  model::folio_lock(folio);
  model::folio_zero_range(folio, from, to - from);
  model::netfs_invalidate_folio(folio, from, to - from);
  model::folio_unlock(folio);
}

TEST(NetfsInvalidate, a_truncate_at_the_records_start_erases_it_and_cancels_the_dirty_bit) {
  const After a = streaming_folio_after([](model::NetfsFile& f, model::Folio&) { model::netfs_truncate(f, 4096 + 1000); });
  EXPECT_TRUE(a.present);  // the folio straddles the new EOF
  EXPECT_FALSE(a.dirty);
  EXPECT_FALSE(a.uptodate);
  EXPECT_FALSE(a.record);
}

TEST(NetfsInvalidate, before_156ac2ec2ee7_the_erased_folio_stayed_dirty) {
  const After a = streaming_folio_after([](model::NetfsFile& f, model::Folio&) { model::netfs_truncate(f, 4096 + 1000); },
                                        {"netfs-invalidate-folio-leaves-dirty"});
  EXPECT_TRUE(a.present);
  EXPECT_TRUE(a.dirty);
  EXPECT_FALSE(a.record);
}

TEST(NetfsInvalidate, a_truncate_inside_the_record_shortens_it_to_the_cut) {
  const After a = streaming_folio_after([](model::NetfsFile& f, model::Folio&) { model::netfs_truncate(f, 4096 + 2500); });
  EXPECT_TRUE(a.dirty);
  ASSERT_TRUE(a.record);
  EXPECT_EQ(a.dirty_offset, 1000u);
  EXPECT_EQ(a.dirty_len, 1500u);
}

TEST(NetfsInvalidate, a_cut_over_the_records_front_moves_its_start_to_the_cuts_end) {
  // [500, 1800) over the record [1000, 3000): what is left is [1800, 3000).
  const After a = streaming_folio_after([](model::NetfsFile&, model::Folio& folio) { punch(folio, 500, 1800); });
  EXPECT_TRUE(a.dirty);
  ASSERT_TRUE(a.record);
  EXPECT_EQ(a.dirty_offset, 1800u);  // 500 before 6d91acc7fb85
  EXPECT_EQ(a.dirty_len, 1200u);
}

TEST(NetfsInvalidate, a_cut_inside_the_record_leaves_it_whole) {
  const After a = streaming_folio_after([](model::NetfsFile&, model::Folio& folio) { punch(folio, 1500, 2000); });
  EXPECT_TRUE(a.dirty);
  ASSERT_TRUE(a.record);
  EXPECT_EQ(a.dirty_offset, 1000u);
  EXPECT_EQ(a.dirty_len, 2000u);
}

}  // namespace
}  // namespace wbsim
