// liveness (checkers/liveness.cpp): once faults heal, dirty data drains
// within the budget; fires on a folio lock held past it and names the folio
// left dirty; quiet when the drain finishes in time.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/mm/page_writeback.h"
#include "tests/checked_run.h"

namespace wbsim {
namespace {

using test::checked::checker_of;
using test::checked::message_of;
using test::checked::run_checked;

// A fiber holds a folio's lock through the liveness phase (for longer than
// its budget when `stuck`), so the final fsync cannot write it.
sim::RunResult liveness_with_lock_held_for(sim::Time hold) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w({.flusher = false});  // the folio stays dirty until the final fsync
    model::NetfsInode& inode = w.create_file();
    s.spawn("writer", [&] {
      model::NetfsFile f = w.open(inode);
      model::netfs_file_write(f, 0, std::vector<std::uint8_t>(4096, 0x66), {});
    });
    s.run();
    s.spawn("holder", [&] {
      model::Folio& folio = *inode.mapping.folios.begin()->second;
      model::folio_lock(folio);
      sim::sleep(hold);
      model::folio_unlock(folio);
    });
    suite.liveness_phase(s, w, 10 * sim::kSec);
  });
}

TEST(LivenessChecker, fires_when_dirty_data_does_not_drain_within_the_budget) {
  const auto r = liveness_with_lock_held_for(1000 * sim::kSec);
  ASSERT_EQ(checker_of(r), "liveness");
  EXPECT_NE(message_of(r).find("did not drain within 10000 ms of healing"), std::string::npos) << message_of(r);
  EXPECT_NE(message_of(r).find("folio 1 (index 0) dirty"), std::string::npos) << message_of(r);
}

TEST(LivenessChecker, stays_quiet_when_the_drain_finishes_in_time) {
  EXPECT_EQ(checker_of(liveness_with_lock_held_for(5 * sim::kSec)), "none");
}

TEST(LivenessChecker, the_verdict_names_a_folio_left_dirty) {
  const auto r = run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("writer", [&] {
      model::NetfsFile f = w.open(inode);
      model::netfs_file_write(f, 0, std::vector<std::uint8_t>(100, 0x77), {});
    });
    s.run();
    suite.quiescent(w);  // without draining first
  });
  ASSERT_EQ(checker_of(r), "liveness");
  EXPECT_NE(message_of(r).find("at quiescence: dirty=true"), std::string::npos) << message_of(r);
}

TEST(LivenessChecker, a_world_without_its_liveness_phase_is_counted) {
  run_checked([&](sim::Scheduler&, checkers::Suite& suite) {
    EXPECT_EQ(suite.worlds_without_liveness(), 0);
    model::World w;
    EXPECT_EQ(suite.worlds_without_liveness(), 1);
  });
}

}  // namespace
}  // namespace wbsim
