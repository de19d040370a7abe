// data-integrity (checkers/data_integrity.cpp): a write that extends the
// file stores the hole from the old EOF to its start as well as its bytes,
// so an fsync that begins while it is in progress is not held to the hole;
// once the write has returned, it is. Likewise the zeros a truncate gives
// the server with its setattr, while the truncate is in progress. The events are the ones the engine
// announces, with the server holding the file's old size.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "tests/checked_run.h"

namespace wbsim {
namespace {

using test::checked::checker_of;
using test::checked::message_of;
using test::checked::run_checked;

// A file of 11377 bytes on the server and in the shadow; a write of 4096
// bytes at 20480 moves i_size to 24576, and an fsync that writes nothing
// returns 0, while the write is in progress or (`returned_first`) after it
// returned.
sim::RunResult fsync_beside_extending_write(bool returned_first) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    w.preload(inode, std::vector<std::uint8_t>(11377, 0x5a));
    s.spawn("writer", [&] {
      const std::vector<std::uint8_t> data(4096, 0x33);
      MODEL_EVENT(write_begin(inode, 20480, data.size(), false));
      MODEL_EVENT(i_size_changed(inode, 11377, 24576, false));
      inode.i_size = 24576;
      if (returned_first) MODEL_EVENT(write_returned(inode, 20480, {}, 0, false));
      MODEL_EVENT(fsync_begin(inode));
      MODEL_EVENT(fsync_returned(inode, 0, 0, INT64_MAX));
      if (!returned_first) MODEL_EVENT(write_returned(inode, 20480, {}, 0, false));
    });
    s.run();
  });
}

TEST(DataIntegrityChecker, stays_quiet_on_the_hole_of_an_extending_write_still_in_progress_at_fsync) {
  const auto r = fsync_beside_extending_write(/*returned_first=*/false);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

TEST(DataIntegrityChecker, fires_on_the_hole_of_an_extending_write_that_returned_before_fsync) {
  const auto r = fsync_beside_extending_write(/*returned_first=*/true);
  ASSERT_EQ(checker_of(r), "data-integrity") << message_of(r);
  EXPECT_NE(message_of(r).find("server byte 11377 is beyond EOF"), std::string::npos) << message_of(r);
}

// A truncate grows the file from 11377 to 24576 (i_size and the shadow
// first, the server's setattr last, as the model's ->setattr does); an
// fsync returns while it is in progress or (`returned_first`) after it
// returned without the server having grown.
sim::RunResult fsync_beside_growing_truncate(bool returned_first) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    w.preload(inode, std::vector<std::uint8_t>(11377, 0x5a));
    s.spawn("app", [&] {
      MODEL_EVENT(i_size_changed(inode, 11377, 24576, true));
      inode.i_size = 24576;
      if (returned_first) MODEL_EVENT(truncate_returned(inode, 24576, 0));
      MODEL_EVENT(fsync_begin(inode));
      MODEL_EVENT(fsync_returned(inode, 0, 0, INT64_MAX));
      if (!returned_first) MODEL_EVENT(truncate_returned(inode, 24576, 0));
    });
    s.run();
  });
}

TEST(DataIntegrityChecker, stays_quiet_on_the_zeros_of_a_truncate_still_in_progress_at_fsync) {
  const auto r = fsync_beside_growing_truncate(/*returned_first=*/false);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

TEST(DataIntegrityChecker, fires_on_the_zeros_of_a_truncate_that_returned_without_growing_the_server) {
  const auto r = fsync_beside_growing_truncate(/*returned_first=*/true);
  ASSERT_EQ(checker_of(r), "data-integrity") << message_of(r);
  EXPECT_NE(message_of(r).find("server byte 11377 is beyond EOF"), std::string::npos) << message_of(r);
}

}  // namespace
}  // namespace wbsim
