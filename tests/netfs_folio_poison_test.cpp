// netfs_free_folio_info() (model/netfs/objects.cpp): a freed netfs_folio
// record is poisoned as slab poisoning has it, so a use after free of its
// group is refused, not silently read as the old value.
#include <gtest/gtest.h>

#include "model/netfs/internal.h"
#include "tests/checked_run.h"

namespace wbsim {
namespace {

using test::checked::checker_of;
using test::checked::message_of;
using test::checked::run_checked;

// Frees a streaming record and puts its group, after the free (`late`), as
// a swapped pair of statements would, or before it.
sim::RunResult put_group_of_freed_record(bool late) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    s.spawn("writer", [&] {
      model::NetfsGroup group;
      group.ref = 1;
      auto* finfo = new model::NetfsFolio{&group, 0, 100};
      if (!late) model::netfs_put_group(finfo->netfs_group);
      model::netfs_free_folio_info(finfo);
      if (late) model::netfs_put_group(finfo->netfs_group);
    });
    s.run();
  });
}

TEST(NetfsFolioPoison, putting_the_group_of_a_freed_record_is_refused) {
  const auto r = put_group_of_freed_record(/*late=*/true);
  ASSERT_EQ(checker_of(r), "assertion") << message_of(r);
  EXPECT_NE(message_of(r).find("use after free"), std::string::npos) << message_of(r);
}

TEST(NetfsFolioPoison, putting_it_before_the_free_is_quiet) {
  EXPECT_EQ(checker_of(put_group_of_freed_record(/*late=*/false)), "none");
}

}  // namespace
}  // namespace wbsim
