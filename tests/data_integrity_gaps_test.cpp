// The data-integrity checks written for the engine mistakes no checker
// caught (docs/checkers.md, "Mutation score"), each shown firing on a
// planted violation and staying quiet on the same run without it. (The
// others are in tests/checkers_gaps_test.cpp and tests/app_contract_gaps_test.cpp.)
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "checkers/suite.h"
#include "model/backend/server.h"
#include "model/events.h"
#include "model/mm/truncate.h"
#include "model/mm/page_writeback.h"
#include "model/netfs/internal.h"
#include "model/netfs/netfs.h"
#include "model/world.h"
#include "sim/completion.h"
#include "tests/checked_run.h"

namespace wbsim {
namespace {

using model::loff_t;
using test::checked::checker_of;
using test::checked::in_one_fiber;
using test::checked::message_of;
using test::checked::run_checked;

// Three wsizes of distinct bytes, so a slice that lands in the wrong place
// of the caller's buffer shows.
std::vector<std::uint8_t> three_slices() {
  std::vector<std::uint8_t> data;
  for (std::uint8_t v : {0x11, 0x22, 0x33}) data.insert(data.end(), 8192, v);
  return data;
}

// --- data-integrity: direct reads ----------------------------------------------------

// A direct read of three wsizes (three subrequests) of a file preloaded on
// the server, which optionally loses a byte of the second slice first.
sim::RunResult dio_read_three_slices(bool scribble) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w({.server = {.wsize = 8192}});
    model::NetfsInode& inode = w.create_file();
    w.preload(inode, three_slices());
    s.spawn("direct", [&] {
      model::NetfsFile f = w.open(inode);
      if (scribble) w.server().file(0).data[9000] = 0x99;
      std::vector<std::uint8_t> out;
      EXPECT_EQ(model::netfs_unbuffered_read_iter(f, 0, 3 * 8192, out, /*aio=*/false), 3 * 8192);
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
}

TEST(DataIntegrityChecker, fires_when_a_direct_read_returns_what_was_not_written) {
  const auto r = dio_read_three_slices(/*scribble=*/true);
  ASSERT_EQ(checker_of(r), "data-integrity") << message_of(r);
  EXPECT_NE(message_of(r).find("read of 0+24576 returned 0x99 at byte 9000"), std::string::npos) << message_of(r);
}

TEST(DataIntegrityChecker, stays_quiet_on_a_direct_read_of_what_was_written) {
  const auto r = dio_read_three_slices(/*scribble=*/false);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// A read that returns new bytes at 4096..8191 while an unbuffered write is
// in flight, announced as the model would: the write's RPC landed, the read
// went to the server. The write covers those bytes, or (`elsewhere`) only
// bytes past them.
sim::RunResult read_during_unbuffered_write(bool elsewhere) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("app", [&] {
      std::vector<std::uint8_t> seen(8192, 0x41);
      inode.i_size = 8192;
      MODEL_EVENT(file_preloaded(inode, seen));
      MODEL_EVENT(write_begin(inode, elsewhere ? 8192 : 4096, 4096, true));
      std::fill(seen.begin() + 4096, seen.end(), 0x42);
      MODEL_EVENT(read_begin(inode));
      MODEL_EVENT(read_returned(inode, 0, seen));
    });
    s.run();
  });
}

TEST(DataIntegrityChecker, a_byte_an_unbuffered_write_in_flight_covers_is_unknown_to_a_read) {
  EXPECT_EQ(checker_of(read_during_unbuffered_write(/*elsewhere=*/false)), "none");
  const auto r = read_during_unbuffered_write(/*elsewhere=*/true);
  ASSERT_EQ(checker_of(r), "data-integrity") << message_of(r);
  EXPECT_NE(message_of(r).find("read of 0+8192 returned 0x42 at byte 4096, the application last wrote 0x41"),
            std::string::npos)
      << message_of(r);
}

// A read while a hole punch is in progress: cifs zeroes the folios at the
// hole's ends as it drops the range, before the server punches it, so the
// read may see zeros the shadow does not have yet. Planted: the same read
// with no punch in progress.
sim::RunResult read_during_punch(bool punching) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("app", [&] {
      std::vector<std::uint8_t> seen(8192, 0x41);
      inode.i_size = 8192;
      MODEL_EVENT(file_preloaded(inode, seen));
      if (punching) MODEL_EVENT(range_op_begin(inode, model::RangeOp::punch_hole, 100, 4000));
      std::fill(seen.begin() + 100, seen.begin() + 4100, 0);
      MODEL_EVENT(read_begin(inode));
      MODEL_EVENT(read_returned(inode, 0, seen));
    });
    s.run();
  });
}

TEST(DataIntegrityChecker, a_read_may_see_the_zeros_of_a_hole_punch_in_progress) {
  EXPECT_EQ(checker_of(read_during_punch(/*punching=*/true)), "none");
  const auto r = read_during_punch(/*punching=*/false);
  ASSERT_EQ(checker_of(r), "data-integrity") << message_of(r);
  EXPECT_NE(message_of(r).find("read of 0+8192 returned 0x0 at byte 100, the application last wrote 0x41"),
            std::string::npos)
      << message_of(r);
}

// An fsync while a hole punch is in progress: the punch dropped a dirty
// folio inside its range unwritten, so the fsync cannot find its bytes on
// the server. Planted: the same drop with no punch in progress.
sim::RunResult fsync_during_punch(bool punching) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w;
    model::NetfsInode& inode = w.create_file();
    w.preload(inode, std::vector<std::uint8_t>(8192, 0x41));
    s.spawn("app", [&] {
      model::NetfsFile f = w.open(inode);
      model::netfs_file_write(f, 0, std::vector<std::uint8_t>(4096, 0x55), {});
      if (punching) MODEL_EVENT(range_op_begin(inode, model::RangeOp::punch_hole, 0, 4096));
      model::truncate_inode_pages_range(inode.mapping, 0, 4095);
      model::netfs_fsync(f);
      std::fill_n(w.server().file(0).data.begin(), 4096, 0);  // the server's punch
      MODEL_EVENT(range_op_done(inode, model::RangeOp::punch_hole, 0, 4096, 0, true));
      MODEL_EVENT(range_op_returned(inode, model::RangeOp::punch_hole, 0, 4096, 0));
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
}

TEST(DataIntegrityChecker, an_fsync_beside_a_hole_punch_in_progress_is_not_held_to_its_range) {
  const auto quiet = fsync_during_punch(/*punching=*/true);
  EXPECT_EQ(checker_of(quiet), "none") << message_of(quiet);
  const auto r = fsync_during_punch(/*punching=*/false);
  ASSERT_EQ(checker_of(r), "data-integrity") << message_of(r);
  EXPECT_NE(message_of(r).find("after fsync returned 0: server byte 0 is 0x41, the application wrote 0x55"),
            std::string::npos)
      << message_of(r);
}

// --- data-integrity: sync(2) ---------------------------------------------------------

// A write, then sync(2) against a slow server; planted: a sync that returns
// without writing back or waiting (as if wait_sb_inodes were skipped with
// nothing written yet).
sim::RunResult write_then_sync(bool skip_wait) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w({.server = {.latency_min = 2 * sim::kMs, .latency_max = 4 * sim::kMs}});
    model::NetfsInode& inode = w.create_file();
    s.spawn("app", [&] {
      model::NetfsFile f = w.open(inode);
      ASSERT_EQ(model::netfs_file_write(f, 0, std::vector<std::uint8_t>(8192, 0x7c), {}), 8192);
      if (skip_wait) {
        MODEL_EVENT(sync_begin());
        MODEL_EVENT(sync_returned(true));
      } else {
        w.sync();
      }
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
}

TEST(DataIntegrityChecker, fires_when_sync_returns_before_the_data_is_on_the_server) {
  const auto r = write_then_sync(/*skip_wait=*/true);
  ASSERT_EQ(checker_of(r), "data-integrity") << message_of(r);
  EXPECT_NE(message_of(r).find("after sync(2) returned"), std::string::npos) << message_of(r);
}

TEST(DataIntegrityChecker, stays_quiet_when_sync_wrote_back_and_waited) {
  const auto r = write_then_sync(/*skip_wait=*/false);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// --- data-integrity: a write in progress at fsync ------------------------------------

// A buffered write's store is announced, and fsync runs (on another fiber)
// before or after that write(2) returns; the bytes never reach the server.
sim::RunResult store_then_fsync(bool returned_first) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w;
    model::NetfsInode& inode = w.create_file();
    const std::vector<std::uint8_t> bytes(100, 0x42);
    sim::Completion stored{"stored"}, synced{"synced"};
    s.spawn("writer", [&] {
      MODEL_EVENT(write_begin(inode, 0, bytes.size(), false));
      MODEL_EVENT(data_stored(inode, 0, bytes));
      MODEL_EVENT(dirty_balance(inode.mapping));  // as the engine's writes do
      inode.i_size = 100;
      MODEL_EVENT(i_size_changed(inode, 0, 100, false));
      if (returned_first) MODEL_EVENT(write_returned(inode, 0, bytes, 100, false));
      stored.complete();
      synced.wait();
      if (!returned_first) MODEL_EVENT(write_returned(inode, 0, bytes, 100, false));
    });
    s.spawn("syncer", [&] {
      stored.wait();
      MODEL_EVENT(fsync_begin(inode));
      MODEL_EVENT(fsync_returned(inode, 0, 0, INT64_MAX));
      synced.complete();
    });
    s.run();
  });
}

TEST(DataIntegrityChecker, fires_when_fsync_returns_without_a_write_that_returned_before_it) {
  const auto r = store_then_fsync(/*returned_first=*/true);
  ASSERT_EQ(checker_of(r), "data-integrity") << message_of(r);
  EXPECT_NE(message_of(r).find("after fsync returned 0"), std::string::npos) << message_of(r);
}

TEST(DataIntegrityChecker, a_write_still_in_progress_when_fsync_began_is_not_covered) {
  const auto r = store_then_fsync(/*returned_first=*/false);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// --- data-integrity: nested reads -------------------------------------------------------

// Bytes 0 and 1 are written (0x11, 0x44); a mapped load of both begins; a
// write stores 0x22 over byte 0; then the load faults a page in through a
// read of its own (nested) and returns byte 0 as it was when it began and
// byte 1 as written (0x44) or as nobody wrote it (0x33, planted).
sim::RunResult load_with_nested_read(std::uint8_t byte1) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w;
    model::NetfsInode& inode = w.create_file();
    sim::Completion began{"began"}, stored{"stored"};
    auto store = [&](const std::vector<std::uint8_t>& bytes) {
      MODEL_EVENT(write_begin(inode, 0, bytes.size(), false));
      MODEL_EVENT(data_stored(inode, 0, bytes));
      MODEL_EVENT(dirty_balance(inode.mapping));  // as the engine's writes do
      if (inode.i_size < static_cast<loff_t>(bytes.size())) {
        const loff_t old = inode.i_size;
        inode.i_size = static_cast<loff_t>(bytes.size());
        MODEL_EVENT(i_size_changed(inode, old, inode.i_size, false));
      }
      MODEL_EVENT(write_returned(inode, 0, bytes, static_cast<std::int64_t>(bytes.size()), false));
    };
    s.spawn("writer", [&] {
      store({0x11, 0x44});
      began.wait();
      store({0x22});
      stored.complete();
    });
    s.spawn("loader", [&] {
      sim::sleep(sim::kMs);
      MODEL_EVENT(read_begin(inode));  // the load
      began.complete();
      stored.wait();
      MODEL_EVENT(read_begin(inode));  // the fault's read of the page
      MODEL_EVENT(read_returned(inode, 0, std::vector<std::uint8_t>{0x22, 0x44}));
      MODEL_EVENT(read_returned(inode, 0, std::vector<std::uint8_t>{0x11, byte1}));
    });
    s.run();
  });
}

TEST(DataIntegrityChecker, a_load_is_judged_from_its_own_start_not_its_faults_read) {
  const auto r = load_with_nested_read(0x44);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

TEST(DataIntegrityChecker, fires_when_a_load_with_a_nested_read_returns_what_was_not_written) {
  const auto r = load_with_nested_read(0x33);
  ASSERT_EQ(checker_of(r), "data-integrity") << message_of(r);
  EXPECT_NE(message_of(r).find("returned 0x33 at byte 1"), std::string::npos) << message_of(r);
}

}  // namespace
}  // namespace wbsim
