// Zeroing part of a folio (model/mm/folio.cpp) keeps zero_user_segments()'s
// BUG_ON: a range past the folio stops the run. truncate's partial folio is
// where an off-by-one length would reach it: a hole that ends on the first
// byte of the next folio.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
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

// Two clean order-0 folios of 0x5a; then either the pagecache part of a hole punch
// over [100, 4096] (inclusive: the first byte of page 1 too), or a zeroing
// of 200 bytes from 4000 of page 0, past its end.
sim::RunResult zero_after_write(bool past_the_folio, std::vector<std::uint8_t>* page0,
                                std::vector<std::uint8_t>* page1) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("app", [&] {
      model::NetfsFile f = w.open(inode);
      ASSERT_EQ(model::netfs_file_write(f, 0, std::vector<std::uint8_t>(8192, 0x5a), {.max_folio_order = 0}), 8192);
      ASSERT_EQ(model::netfs_fsync(f), 0);
      if (past_the_folio) {
        model::Folio* folio = model::filemap_get_folio(inode.mapping, 0);
        ASSERT_NE(folio, nullptr);
        model::folio_zero_range(*folio, 4000, 200);
        return;
      }
      model::truncate_inode_pages_range(inode.mapping, 100, 4096);
      for (auto [index, out] : {std::pair{model::pgoff_t{0}, page0}, std::pair{model::pgoff_t{1}, page1}}) {
        const model::Folio* folio = model::filemap_get_folio(inode.mapping, index);
        if (folio != nullptr) *out = folio->data;
      }
    });
    s.run();
  });
}

TEST(FolioZero, a_range_past_the_folio_is_a_bug_on) {
  std::vector<std::uint8_t> p0, p1;
  const auto r = zero_after_write(/*past_the_folio=*/true, &p0, &p1);
  ASSERT_EQ(checker_of(r), "assertion") << message_of(r);
  EXPECT_NE(message_of(r).find("BUG_ON: zeroing [4000, 4200) of folio 0 of 4096 bytes"), std::string::npos)
      << message_of(r);
}

TEST(FolioZero, a_hole_ending_on_the_next_folios_first_byte_zeroes_within_each_folio) {
  std::vector<std::uint8_t> p0, p1;
  const auto r = zero_after_write(/*past_the_folio=*/false, &p0, &p1);
  ASSERT_EQ(checker_of(r), "none") << message_of(r);
  // Both pages are kept (order 0: nothing to split), with zeros over the
  // hole and 0x5a elsewhere.
  ASSERT_EQ(p0.size(), 4096u);
  ASSERT_EQ(p1.size(), 4096u);
  for (std::size_t i = 0; i < p0.size(); ++i) ASSERT_EQ(p0[i], i < 100 ? 0x5a : 0) << "page 0 byte " << i;
  for (std::size_t i = 0; i < p1.size(); ++i) ASSERT_EQ(p1[i], i < 1 ? 0 : 0x5a) << "page 1 byte " << i;
}

}  // namespace
}  // namespace wbsim
