// Readahead (model/mm/readahead.cpp, as mm/readahead.c): which folios a
// buffered read of a netfs file brings in, how large, and where the marker
// goes. The expected layouts are the kernel's arithmetic worked by hand for
// a 32-page window (VM_READAHEAD_PAGES):
//   read page 0:  sync window start 0, size get_init_ra_size(1, 32) = 4,
//                 async 3, order 0: pages 0..3, the marker on page 1;
//   read page 1:  the marker, expected at round_down(0 + 4 - 3, 1) = 1:
//                 start 4, size max(4, 8) = 8, order 0 + 2 = 2, end 12
//                 aligned to 4: folios of order 2 at 4 and 8, marker at 4;
//   read page 4:  expected round_down(4 + 8 - 8, 4) = 4: start 12, size 16,
//                 order 4, end 28 aligned to 16 cuts the size to 4, order
//                 min(4, ilog2(4)) = 2: one folio of order 2 at 12, marked.
// Without large folios the windows are order 0, the marker at the window's
// first page (lookahead = size), and the order file_ra_state keeps goes
// back to 0 at each window, so the third is not cut.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/backend/rfs.h"
#include "model/mm/filemap.h"
#include "model/netfs/internal.h"
#include "tests/checked_run.h"

namespace wbsim {
namespace {

using test::checked::checker_of;
using test::checked::run_checked;

// (index, order, marked) of every cached folio, in index order.
using Layout = std::vector<std::tuple<model::pgoff_t, unsigned, bool>>;

Layout layout(model::AddressSpace& m) {
  Layout out;
  for (const auto& [index, f] : m.folios) out.emplace_back(index, f->order, f->test(model::PG_readahead));
  return out;
}

// Reads page 0, then page 1, then page 4 of a 1 MiB file; the layout after
// each read.
std::vector<Layout> read_pages_0_1_4(bool large_folios) {
  std::vector<Layout> out;
  const sim::RunResult r = run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file({.large_folios = large_folios});
    w.preload(inode, std::vector<std::uint8_t>(1 << 20, 0x5a));
    s.spawn("reader", [&] {
      model::NetfsFile f = w.open(inode);
      for (const model::loff_t page : {0, 1, 4}) {
        const auto got = model::netfs_file_read(f, page * 4096, 4096);
        EXPECT_EQ(got, std::vector<std::uint8_t>(4096, 0x5a));
        out.push_back(layout(inode.mapping));
      }
    });
    s.run();
  });
  EXPECT_EQ(checker_of(r), "none");
  return out;
}

TEST(Readahead, a_sequential_read_of_a_large_folio_mapping_grows_the_folios_two_orders_a_window) {
  const auto got = read_pages_0_1_4(true);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], (Layout{{0, 0, false}, {1, 0, true}, {2, 0, false}, {3, 0, false}}));
  EXPECT_EQ(got[1], (Layout{{0, 0, false}, {1, 0, false}, {2, 0, false}, {3, 0, false}, {4, 2, true}, {8, 2, false}}));
  EXPECT_EQ(got[2], (Layout{{0, 0, false},
                            {1, 0, false},
                            {2, 0, false},
                            {3, 0, false},
                            {4, 2, false},
                            {8, 2, false},
                            {12, 2, true}}));
}

TEST(Readahead, without_large_folios_the_same_windows_are_order_0) {
  const auto got = read_pages_0_1_4(false);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], (Layout{{0, 0, false}, {1, 0, true}, {2, 0, false}, {3, 0, false}}));
  Layout second = {{0, 0, false}, {1, 0, false}, {2, 0, false}, {3, 0, false}};
  for (model::pgoff_t i = 4; i < 12; ++i) second.emplace_back(i, 0, i == 4);
  EXPECT_EQ(got[1], second);
  // The marker at 4: start 12, size 16; page_cache_ra_order() put the order
  // back to 0, so the alignment is to 4 pages and cuts nothing: pages
  // 12..27, marked at 12.
  Layout third = second;
  std::get<2>(third[4]) = false;
  for (model::pgoff_t i = 12; i < 28; ++i) third.emplace_back(i, 0, i == 12);
  EXPECT_EQ(got[2], third);
}

// A random read far from the last one reads just what it asked for (a
// standalone small random read leaves the window alone).
TEST(Readahead, a_small_random_read_reads_only_its_pages) {
  Layout got;
  const sim::RunResult r = run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    w.preload(inode, std::vector<std::uint8_t>(1 << 20, 0x11));
    s.spawn("reader", [&] {
      model::NetfsFile f = w.open(inode);
      (void)model::netfs_file_read(f, 0, 1);
      (void)model::netfs_file_read(f, 100 * 4096, 2 * 4096);
      got = layout(inode.mapping);
    });
    s.run();
  });
  EXPECT_EQ(checker_of(r), "none");
  EXPECT_EQ(got, (Layout{{0, 0, false}, {1, 0, true}, {2, 0, false}, {3, 0, false}, {100, 0, false}, {101, 0, false}}));
}

// A fault on page 10 that finds nothing reads around it (filemap_fault's
// do_sync_mmap_readahead): start max(0, 10 - 32 / 2) = 0, size 32, async
// 8, order 0: pages 0..31, the marker on page 0 + 32 - 8 = 24. A fault on
// page 24 then starts the marker's window: start 32, size 32, order 2.
TEST(Readahead, a_fault_reads_around_its_page_and_the_next_one_on_the_marker_reads_on) {
  Layout around;
  Layout on;
  const sim::RunResult r = run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    w.preload(inode, std::vector<std::uint8_t>(1 << 20, 0x22));
    s.spawn("faulter", [&] {
      model::NetfsFile f = w.open(inode);
      model::netfs_mmap_read(f, 10 * 4096, 1);
      around = layout(inode.mapping);
      model::netfs_mmap_read(f, 24 * 4096, 1);
      on = layout(inode.mapping);
    });
    s.run();
  });
  EXPECT_EQ(checker_of(r), "none");
  Layout want;
  for (model::pgoff_t i = 0; i < 32; ++i) want.emplace_back(i, 0, i == 24);
  EXPECT_EQ(around, want);
  std::get<2>(want[24]) = false;
  for (model::pgoff_t i = 32; i < 64; i += 4) want.emplace_back(i, 2, i == 32);
  EXPECT_EQ(on, want);
}

// docs/findings.md F22: a fault's read-around on a cached file is in
// flight when an O_DIRECT write over page 0 begins; the read completes
// while the write's invalidation waits for the folio, marks it for the
// cache (dirty) and so keeps it, and the load after the write returned
// reads the old byte. Without the cache the completed read leaves the
// folio clean, the invalidation drops it, and the load reads the new byte.
sim::RunResult fault_then_dio(bool cache, std::vector<std::uint8_t>* after) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.server = {.latency_min = 1 * sim::kMs, .latency_max = 1 * sim::kMs}, .flusher = false});
    model::NetfsInode& inode = w.create_file({.cache = cache});
    w.preload(inode, std::vector<std::uint8_t>(8 * 4096, 0x33));
    s.spawn("faulter", [&] {
      model::NetfsFile f = w.open(inode);
      model::netfs_mmap_read(f, 4 * 4096, 1);  // reads pages 0..7 around it, page 0 first
    });
    s.spawn("writer", [&] {
      model::NetfsFile f = w.open(inode);
      sim::sleep(500 * sim::kUs);  // page 0's read is in flight
      ASSERT_EQ(model::netfs_unbuffered_write_iter(f, 0, std::vector<std::uint8_t>(100, 0x44)), 100);
      *after = model::netfs_mmap_read(f, 0, 1);
    });
    s.run();
  });
}

TEST(Readahead, a_read_marked_for_the_cache_survives_a_direct_writes_invalidations_F22) {
  std::vector<std::uint8_t> after;
  const sim::RunResult r = fault_then_dio(true, &after);
  EXPECT_EQ(checker_of(r), "data-integrity");
  EXPECT_EQ(test::mark_hits(r, "finding.netfs-dio-leaves-copy-to-cache-folio"), 1u);
}

TEST(Readahead, without_a_cache_the_direct_write_drops_the_folio_the_read_completed) {
  std::vector<std::uint8_t> after;
  const sim::RunResult r = fault_then_dio(false, &after);
  EXPECT_EQ(checker_of(r), "none");
  EXPECT_EQ(after, std::vector<std::uint8_t>(1, 0x44));
  EXPECT_EQ(test::mark_hits(r, "finding.netfs-dio-leaves-copy-to-cache-folio"), 0u);
}

// mapping->invalidate_lock: a fault that must read a folio in waits while
// the lock is held exclusive (a hole punch between its drop and the
// server's change), so it reads what the server holds after the change.
// Here the holder changes the server's bytes itself, 5 ms in; a fault that
// did not wait would read them at 1.2 ms, before the change.
TEST(InvalidateLock, a_fault_that_must_read_waits_for_an_exclusive_holder) {
  std::vector<std::uint8_t> read;
  sim::Time read_at = 0;
  const sim::RunResult r = sim::run_simulation(test::make_config(1), /*faults=*/false, [&](sim::Scheduler& s) {
    model::World w({.server = {.latency_min = 1 * sim::kMs, .latency_max = 1 * sim::kMs}, .flusher = false});
    model::NetfsInode& inode = w.create_file();
    w.preload(inode, std::vector<std::uint8_t>(2 * 4096, 0x33));
    s.spawn("holder", [&] {
      model::filemap_invalidate_lock(inode.mapping);
      sim::sleep(5 * sim::kMs);
      std::vector<std::uint8_t>& data = w.server().file(model::rfs_inode(inode).file_id).data;
      std::fill(data.begin(), data.begin() + 4096, std::uint8_t{0});
      model::filemap_invalidate_unlock(inode.mapping);
    });
    s.spawn("faulter", [&] {
      model::NetfsFile f = w.open(inode);
      sim::sleep(200 * sim::kUs);
      read = model::netfs_mmap_read(f, 0, 1);
      read_at = sim::now();
    });
    s.run();
  }, "");
  EXPECT_FALSE(r.finding.has_value()) << r.finding->message;
  EXPECT_EQ(read, std::vector<std::uint8_t>(1, 0x00));
  EXPECT_GE(read_at, 6 * sim::kMs);
}

}  // namespace
}  // namespace wbsim
