// writeback-control (checkers/writeback_control.cpp): the flags of each
// kind of writeback work, and background writeback starting while the
// dirty count stays over the background threshold. Each check fires on a
// planted violation and stays quiet on the same run without it.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "model/mm/page_writeback.h"
#include "model/netfs/netfs.h"
#include "tests/checked_run.h"

namespace wbsim {
namespace {

using test::checked::checker_of;
using test::checked::message_of;
using test::checked::run_checked;

// --- writeback-control ------------------------------------------------------------------

// One ->writepages call over a dirty file with the flags a background
// flusher pass sets, or (`sync_all`) a background walk that is WB_SYNC_ALL,
// as a flusher mixing up its kinds of work would hand down.
sim::RunResult background_walk(bool sync_all) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("flusher", [&] {
      model::NetfsFile f = w.open(inode);
      model::netfs_file_write(f, 0, std::vector<std::uint8_t>(8192, 0x31), {});
      model::WritebackControl wbc;
      wbc.sync_mode = sync_all ? model::SyncMode::all : model::SyncMode::none;
      wbc.range_cyclic = !sync_all;
      wbc.for_background = true;
      model::do_writepages(inode.mapping, wbc);
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
}

TEST(WritebackControlChecker, fires_on_a_background_walk_that_is_sync_all) {
  const auto r = background_walk(/*sync_all=*/true);
  ASSERT_EQ(checker_of(r), "writeback-control") << message_of(r);
  EXPECT_NE(message_of(r).find("a background writeback walk with WB_SYNC_ALL, not range_cyclic"), std::string::npos)
      << message_of(r);
}

TEST(WritebackControlChecker, stays_quiet_on_a_background_walk_as_the_flusher_builds_it) {
  const auto r = background_walk(/*sync_all=*/false);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// The flusher's idle stretches as it announces them, over 8 dirty pages
// with a background threshold of 2: it sleeps `first` then `second`, with
// (`walk`) or without a background ->writepages call between, as a
// flusher whose passes never start background writeback would.
sim::RunResult flusher_sleeps_over_threshold(sim::Time first, sim::Time second, bool walk) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.background_thresh_pages = 2, .flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("flusher", [&] {
      model::NetfsFile f = w.open(inode);
      model::netfs_file_write(f, 0, std::vector<std::uint8_t>(8 * 4096, 0x31), {});
      const model::Mm& mm = w.mm();
      MODEL_EVENT(flusher_idle(mm, true));
      sim::sleep(first);
      MODEL_EVENT(flusher_idle(mm, false));
      if (walk) {
        model::WritebackControl wbc;
        wbc.range_cyclic = true;
        wbc.for_background = true;
        wbc.nr_to_write = 1;  // one page: the count stays over the threshold
        model::do_writepages(inode.mapping, wbc);
      }
      MODEL_EVENT(flusher_idle(mm, true));
      sim::sleep(second);
      MODEL_EVENT(flusher_idle(mm, false));
    });
    s.run();
  });
}

TEST(WritebackControlChecker, fires_when_the_flusher_sleeps_two_intervals_over_the_threshold_without_a_background_walk) {
  const auto r = flusher_sleeps_over_threshold(5 * sim::kSec, 5 * sim::kSec, /*walk=*/false);
  ASSERT_EQ(checker_of(r), "writeback-control") << message_of(r);
  EXPECT_NE(message_of(r).find("the flusher slept 10000 ms with the dirty count over the background threshold"),
            std::string::npos)
      << message_of(r);
}

TEST(WritebackControlChecker, stays_quiet_when_a_background_walk_begins_between_the_sleeps) {
  const auto r = flusher_sleeps_over_threshold(5 * sim::kSec, 5 * sim::kSec, /*walk=*/true);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

TEST(WritebackControlChecker, stays_quiet_on_sleeps_within_one_interval) {
  const auto r = flusher_sleeps_over_threshold(5 * sim::kSec, 0, /*walk=*/false);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

}  // namespace
}  // namespace wbsim
