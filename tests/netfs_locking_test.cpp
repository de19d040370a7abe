// fs/netfs/locking.c: buffered I/O and direct I/O exclude each other through
// NETFS_ICTX_ODIRECT while each runs under a shared i_rwsem.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "checkers/suite.h"
#include "model/events.h"
#include "model/netfs/netfs.h"
#include "model/netfs/request.h"
#include "model/world.h"
#include "sim_test_util.h"

namespace wbsim {
namespace {

using sim::kMs;

std::vector<std::uint8_t> bytes(std::uint8_t v, std::size_t n) { return std::vector<std::uint8_t>(n, v); }

sim::RunResult run_checked(const std::function<void(sim::Scheduler&)>& body, std::uint64_t seed = 1) {
  return sim::run_simulation(test::make_config(seed), /*faults=*/false,
                             [&](sim::Scheduler& s) {
                               checkers::Suite suite(checkers::Options{});
                               model::ObserverScope scope(suite.observers());
                               body(s);
                             },
                             "");
}

// Every write RPC takes exactly 5 ms.
model::WorldOptions slow_server() {
  model::WorldOptions o;
  o.server.latency_min = 5 * kMs;
  o.server.latency_max = 5 * kMs;
  return o;
}

TEST(NetfsLocking, a_buffered_write_waits_for_asynchronous_direct_io_in_flight) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    sim::Time dio_done = 0, buffered_done = 0;
    int dio_count_at_buffered_return = -1;
    const auto r = run_checked(
        [&](sim::Scheduler& s) {
          model::World w(slow_server());
          model::NetfsInode& inode = w.create_file({});
          s.spawn("aio", [&] {
            model::NetfsFile f = w.open(inode);
            // Returns -EIOCBQUEUED inside, dropping i_rwsem with the write
            // in flight; the model's caller then waits for ki_complete.
            EXPECT_EQ(model::netfs_unbuffered_write_iter(f, 0, bytes(1, 16384), /*aio=*/true), 16384);
            dio_done = sim::now();
          });
          s.spawn("buffered", [&] {
            sim::sleep(kMs);  // the direct write is in flight
            model::NetfsFile f = w.open(inode);
            EXPECT_EQ(model::netfs_file_write(f, 65536, bytes(2, 4096), {}), 4096);
            buffered_done = sim::now();
            dio_count_at_buffered_return = inode.i_dio_count;
            EXPECT_FALSE(sim::test_bit(model::NETFS_ICTX_ODIRECT, inode.flags));
          });
          s.run();
        },
        seed);
    ASSERT_FALSE(r.finding.has_value()) << "seed " << seed << ": " << r.finding->message;
    // netfs_block_o_direct(): the buffered writer, holding i_rwsem
    // exclusive, waited for i_dio_count to drain, so its write, which only
    // dirties the page cache, could not return before the RPC's 5 ms.
    EXPECT_EQ(dio_count_at_buffered_return, 0) << "seed " << seed;
    EXPECT_GE(buffered_done, 5 * kMs) << "seed " << seed;
    EXPECT_GT(dio_done, 0) << "seed " << seed;
  }
}

TEST(NetfsLocking, direct_io_sets_odirect_and_the_next_buffered_read_or_write_clears_it) {
  bool after_dio = false, after_read = true, after_dio2 = false, after_write = true;
  const auto r = run_checked([&](sim::Scheduler& s) {
    model::World w(slow_server());
    model::NetfsInode& inode = w.create_file({});
    s.spawn("user", [&] {
      model::NetfsFile f = w.open(inode);
      ASSERT_EQ(model::netfs_unbuffered_write_iter(f, 0, bytes(1, 8192)), 8192);
      after_dio = sim::test_bit(model::NETFS_ICTX_ODIRECT, inode.flags);
      ASSERT_EQ(model::netfs_file_read(f, 0, 8192), bytes(1, 8192));
      after_read = sim::test_bit(model::NETFS_ICTX_ODIRECT, inode.flags);
      ASSERT_EQ(model::netfs_unbuffered_write_iter(f, 0, bytes(3, 4096)), 4096);
      after_dio2 = sim::test_bit(model::NETFS_ICTX_ODIRECT, inode.flags);
      ASSERT_EQ(model::netfs_file_write(f, 4096, bytes(4, 4096), {}), 4096);
      after_write = sim::test_bit(model::NETFS_ICTX_ODIRECT, inode.flags);
      EXPECT_FALSE(inode.i_rwsem->write_locked());
      EXPECT_EQ(inode.i_rwsem->readers(), 0u);
    });
    s.run();
  });
  ASSERT_FALSE(r.finding.has_value()) << r.finding->message;
  EXPECT_TRUE(after_dio);
  EXPECT_FALSE(after_read);
  EXPECT_TRUE(after_dio2);
  EXPECT_FALSE(after_write);
}

TEST(NetfsLocking, a_buffered_reader_shares_the_inode_lock_with_a_buffered_writer) {
  // netfs_start_io_write() takes i_rwsem exclusive, so buffered writers
  // exclude each other, then downgrades it: on some interleaving a buffered
  // reader is inside while the writer still copies in.
  std::size_t max_readers = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto r = run_checked(
        [&](sim::Scheduler& s) {
          model::World w(slow_server());
          model::NetfsInode& inode = w.create_file({});
          bool done[2] = {false, false};
          s.spawn("writer", [&] {
            model::NetfsFile f = w.open(inode);
            EXPECT_EQ(model::netfs_file_write(f, 65536, bytes(2, 32768), {}), 32768);
            done[0] = true;
          });
          s.spawn("reader", [&] {
            model::NetfsFile f = w.open(inode);
            for (int i = 0; i < 8; ++i) (void)model::netfs_file_read(f, 0, 4096);
            done[1] = true;
          });
          s.spawn("watcher", [&] {
            while (!done[0] || !done[1]) {
              max_readers = std::max(max_readers, inode.i_rwsem->readers());
              sim::yield();
            }
          });
          s.run();
        },
        seed);
    ASSERT_FALSE(r.finding.has_value()) << "seed " << seed << ": " << r.finding->message;
  }
  EXPECT_EQ(max_readers, 2u);
}

}  // namespace
}  // namespace wbsim
