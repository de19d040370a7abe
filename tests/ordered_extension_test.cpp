// ordered-extension (N19), each case shown firing on a planted violation
// and staying quiet on the same run without it (docs/invariants.md).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "checkers/suite.h"
#include "model/backend/server.h"
#include "model/events.h"
#include "model/mm/truncate.h"
#include "model/netfs/netfs.h"
#include "model/world.h"
#include "tests/checked_run.h"

namespace wbsim {
namespace {

using test::checked::checker_of;
using test::checked::message_of;
using test::checked::run_checked;
using test::checked::run_checked_with;

std::vector<std::uint8_t> bytes(std::uint8_t v, std::size_t n) { return std::vector<std::uint8_t>(n, v); }

// --- ordered-extension ---------------------------------------------------------------

// The application's data at [4096, 8192) is written back, then lost by the
// server (as if its store were undone); a later write past EOF leaves a hole
// there that nothing on the client will fill.
sim::RunResult extend_over_lost_data(bool lose) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w;
    model::NetfsInode& inode = w.create_file();
    s.spawn("writer", [&] {
      model::NetfsFile f = w.open(inode);
      model::netfs_file_write(f, 0, bytes(0x33, 8192), {});
      model::netfs_fsync(f);
      if (lose) w.server().file(0).data.resize(4096);
      model::netfs_file_write(f, 8192, bytes(0x44, 4096), {});
      model::netfs_fsync(f);
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
}

TEST(OrderedExtensionChecker, fires_on_a_hole_whose_data_is_no_longer_pending) {
  const auto r = extend_over_lost_data(true);
  ASSERT_EQ(checker_of(r), "ordered-extension");
  EXPECT_NE(message_of(r).find("extended the server from 4096 and left a hole at 4096"), std::string::npos)
      << message_of(r);
}

TEST(OrderedExtensionChecker, stays_quiet_when_the_lower_data_is_on_the_server) {
  EXPECT_EQ(checker_of(extend_over_lost_data(false)), "none");
}

// A hole punch drops the dirty folios over its range unwritten (cifs): a
// write past the hole that extends the server while the punch has not
// returned leaves a hole where the application's data is about to become
// zeros. Planted: the punch's events around a plain drop of the folio.
sim::RunResult extend_past_a_punch(bool punch_in_flight) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w;
    model::NetfsInode& inode = w.create_file();
    s.spawn("writer", [&] {
      model::NetfsFile f = w.open(inode);
      model::netfs_file_write(f, 0, bytes(0x33, 4096), {});
      model::netfs_fsync(f);
      model::netfs_file_write(f, 4096, bytes(0x33, 4096), {});  // dirty, past the server's EOF
      if (punch_in_flight) MODEL_EVENT(range_op_begin(inode, model::RangeOp::punch_hole, 4096, 4096));
      model::truncate_inode_pages_range(inode.mapping, 4096, 8191);
      model::netfs_file_write(f, 8192, bytes(0x44, 4096), {});
      model::netfs_fsync(f);  // extends the server from 4096 to 12288
      MODEL_EVENT(range_op_done(inode, model::RangeOp::punch_hole, 4096, 4096, 0, true));
      MODEL_EVENT(range_op_returned(inode, model::RangeOp::punch_hole, 4096, 4096, 0));
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
}

TEST(OrderedExtensionChecker, stays_quiet_on_a_hole_a_punch_in_flight_will_zero) {
  const auto quiet = extend_past_a_punch(true);
  EXPECT_EQ(checker_of(quiet), "none") << message_of(quiet);
  const auto r = extend_past_a_punch(false);
  ASSERT_EQ(checker_of(r), "ordered-extension");
  EXPECT_NE(message_of(r).find("extended the server from 4096 and left a hole at 4096"), std::string::npos)
      << message_of(r);
}

// Strict mode: two extending unbuffered writes in flight at once, the upper
// one issued while the lower one is still out.
TEST(OrderedExtensionChecker, strict_mode_fires_on_extension_out_of_order_and_default_mode_does_not) {
  auto body = [](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w({.server = {.wsize = 4096, .credits = 4}});
    model::NetfsInode& inode = w.create_file({.prepare_write = false});
    // Writeback sends the four extending subrequests at once (an unbuffered
    // write sends one at a time since 7.0-rc3).
    s.spawn("writer", [&] {
      model::NetfsFile f = w.open(inode);
      model::netfs_file_write(f, 0, bytes(0x55, 16384), {.max_folio_order = 0});
      model::netfs_fsync(f);
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  };
  const auto strict = run_checked_with({.strict_extension = true}, body);
  ASSERT_EQ(checker_of(strict), "ordered-extension");
  EXPECT_NE(message_of(strict).find("strict:"), std::string::npos) << message_of(strict);
  EXPECT_EQ(checker_of(run_checked(body)), "none");
}

}  // namespace
}  // namespace wbsim
