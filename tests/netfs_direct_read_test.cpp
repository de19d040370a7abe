// fs/netfs/direct_read.c: O_DIRECT reads write the range back, then read the
// server in slices; an asynchronous one completes from a workqueue with
// i_dio_count held; D1 (dio-exclusion) watches netfs files too.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "checkers/suite.h"
#include "model/errno.h"
#include "model/events.h"
#include "model/netfs/netfs.h"
#include "model/world.h"
#include "sim_test_util.h"

namespace wbsim {
namespace {

using sim::kMs;

std::vector<std::uint8_t> bytes(std::uint8_t v, std::size_t n) { return std::vector<std::uint8_t>(n, v); }

sim::RunResult run_checked(const std::function<void(sim::Scheduler&)>& body) {
  return sim::run_simulation(test::make_config(1), /*faults=*/false,
                             [&](sim::Scheduler& s) {
                               checkers::Suite suite(checkers::Options{});
                               model::ObserverScope scope(suite.observers());
                               body(s);
                             },
                             "");
}

std::string checker_of(const sim::RunResult& r) { return r.finding ? r.finding->checker : "none"; }

TEST(NetfsDirectRead, reads_the_server_in_wsize_slices_after_writing_the_range_back) {
  std::vector<std::uint8_t> got;
  std::int64_t ret = 0;
  const auto r = run_checked([&](sim::Scheduler& s) {
    model::WorldOptions o;
    o.flusher = false;
    o.server.wsize = 4096;
    model::World w(o);
    model::NetfsInode& inode = w.create_file({});
    w.preload(inode, bytes(0x11, 16384));
    s.spawn("app", [&] {
      model::NetfsFile f = w.open(inode);
      ASSERT_EQ(model::netfs_file_write(f, 5000, bytes(0x22, 100), {}), 100);  // dirty, no flusher
      ret = model::netfs_unbuffered_read_iter(f, 4096, 8192, got);
    });
    s.run();
  });
  EXPECT_EQ(checker_of(r), "none");
  ASSERT_EQ(ret, 8192);
  ASSERT_EQ(got.size(), 8192u);
  // The dirty bytes were written back first, so the server returned them.
  EXPECT_EQ(got[5000 - 4096], 0x22);
  EXPECT_EQ(got[0], 0x11);
  EXPECT_EQ(got[8191], 0x11);
}

TEST(NetfsDirectRead, a_short_read_at_eof_returns_what_the_file_holds) {
  std::vector<std::uint8_t> got;
  std::int64_t ret = 0;
  const auto r = run_checked([&](sim::Scheduler& s) {
    model::World w;
    model::NetfsInode& inode = w.create_file({});
    w.preload(inode, bytes(0x11, 6000));
    s.spawn("app", [&] {
      model::NetfsFile f = w.open(inode);
      ret = model::netfs_unbuffered_read_iter(f, 4096, 8192, got, /*aio=*/true);
    });
    s.run();
  });
  EXPECT_EQ(checker_of(r), "none");
  EXPECT_EQ(ret, 6000 - 4096);
  EXPECT_EQ(got, bytes(0x11, 6000 - 4096));
}

TEST(NetfsDirectRead, a_buffered_write_waits_for_an_asynchronous_direct_read_in_flight) {
  sim::Time read_done = 0, write_done = 0;
  const auto r = run_checked([&](sim::Scheduler& s) {
    model::WorldOptions o;
    o.server.latency_min = o.server.latency_max = 5 * kMs;
    model::World w(o);
    model::NetfsInode& inode = w.create_file({});
    w.preload(inode, bytes(0x11, 8192));
    s.spawn("aio", [&] {
      model::NetfsFile f = w.open(inode);
      std::vector<std::uint8_t> got;
      EXPECT_EQ(model::netfs_unbuffered_read_iter(f, 0, 8192, got, /*aio=*/true), 8192);
      read_done = sim::now();
    });
    s.spawn("buffered", [&] {
      sim::sleep(kMs);  // the read is in flight, the inode lock dropped
      model::NetfsFile f = w.open(inode);
      EXPECT_EQ(model::netfs_file_write(f, 0, bytes(2, 100), {}), 100);
      write_done = sim::now();
    });
    s.run();
  });
  EXPECT_EQ(checker_of(r), "none");
  EXPECT_GE(write_done, read_done);  // netfs_block_o_direct's inode_dio_wait
}

TEST(NetfsDirectRead, exclusion_fires_on_a_buffered_op_inside_a_direct_read) {
  for (bool planted : {false, true}) {
    const auto r = run_checked([&](sim::Scheduler& s) {
      model::WorldOptions o;
      o.server.latency_min = o.server.latency_max = 5 * kMs;
      model::World w(o);
      model::NetfsInode& inode = w.create_file({});
      w.preload(inode, bytes(0x11, 8192));
      s.spawn("direct", [&] {
        model::NetfsFile f = w.open(inode);
        std::vector<std::uint8_t> got;
        model::netfs_unbuffered_read_iter(f, 0, 8192, got, /*aio=*/true);
      });
      s.spawn("rogue", [&] {
        if (!planted) return;
        // A buffered op that skipped netfs_start_io_read during the read.
        sim::sleep(kMs);
        MODEL_EVENT(netfs_exclusion(inode, /*dio=*/false, /*enter=*/true));
        MODEL_EVENT(netfs_exclusion(inode, /*dio=*/false, /*enter=*/false));
      });
      s.run();
    });
    EXPECT_EQ(checker_of(r), planted ? "dio-exclusion" : "none") << planted;
  }
}

// F8 (docs/findings.md): a hole below the client's i_size and past the
// server's EOF fails the read with -ENODATA, even after a partial read; a
// read the server covers is quiet.
TEST(NetfsDirectRead, a_read_past_the_servers_eof_below_i_size_fails_with_enodata) {
  for (bool into_hole : {false, true}) {
    std::int64_t ret = 0;
    const auto r = run_checked([&](sim::Scheduler& s) {
      model::World w({.flusher = false});
      model::NetfsInode& inode = w.create_file({});
      w.preload(inode, bytes(0x11, 12288));
      s.spawn("app", [&] {
        model::NetfsFile f = w.open(inode);
        ASSERT_EQ(model::netfs_file_write(f, 32768, bytes(0x22, 10), {}), 10);
        std::vector<std::uint8_t> got;
        ret = model::netfs_unbuffered_read_iter(f, 8192, into_hole ? 8192 : 4096, got);
      });
      s.run();
    });
    // The checker stops the run as the read returns, so only its message
    // shows the -ENODATA.
    EXPECT_EQ(checker_of(r), into_hole ? "data-integrity" : "none") << into_hole;
    if (into_hole) {
      EXPECT_NE(r.finding->message.find("failed with -61"), std::string::npos) << r.finding->message;
    } else {
      EXPECT_EQ(ret, 4096);
    }
  }
}

}  // namespace
}  // namespace wbsim
