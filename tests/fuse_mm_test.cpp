// The memory-management world and the FUSE connection, piece by piece:
// allocation contexts and watermarks, kswapd, mempools, migration's
// references and the folio it moves to, sync_file_range, and the FUSE
// server's crash, restart and abort; writeback-truth (F5) firing on a
// planted violation and quiet without it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "checkers/suite.h"
#include "model/events.h"
#include "model/fuse/fuse.h"
#include "model/mm/kswapd.h"
#include "model/mm/mempool.h"
#include "model/mm/migrate.h"
#include "model/mm/page_writeback.h"
#include "model/mm/reclaim.h"
#include "model/world.h"
#include "sim_test_util.h"

namespace wbsim {
namespace {

std::vector<std::uint8_t> bytes(std::uint8_t v, std::size_t n) { return std::vector<std::uint8_t>(n, v); }

sim::RunResult run_checked(const std::function<void(sim::Scheduler&, checkers::Suite&)>& body, std::uint64_t seed = 1) {
  return sim::run_simulation(test::make_config(seed), /*faults=*/false,
                             [&](sim::Scheduler& s) {
                               checkers::Suite suite(checkers::Options{});
                               model::ObserverScope scope(suite.observers());
                               body(s, suite);
                             },
                             "");
}

std::string checker_of(const sim::RunResult& r) { return r.finding ? r.finding->checker : "none"; }

using test::mark_hits;
std::string message_of(const sim::RunResult& r) { return r.finding ? r.finding->message : ""; }

// --- allocation contexts ---------------------------------------------------

TEST(AllocPages, contexts_that_may_not_reclaim_fail_at_their_floor) {
  const auto r = run_checked([](sim::Scheduler& s, checkers::Suite&) {
    model::Mm mm;
    mm.free_pages = 10;
    mm.min_pages = 8;
    mm.low_pages = 12;
    s.spawn("t", [&] {
      EXPECT_TRUE(model::alloc_pages(mm, 2, model::GFP_NOWAIT));   // 10 -> 8: at min
      EXPECT_FALSE(model::alloc_pages(mm, 1, model::GFP_NOWAIT));  // below min
      // GFP_ATOMIC's floor: min less half (ALLOC_MIN_RESERVE), less a
      // quarter of the rest (ALLOC_NON_BLOCK): 8 -> 4 -> 3.
      EXPECT_TRUE(model::alloc_pages(mm, 5, model::GFP_ATOMIC));  // 8 -> 3: at the floor
      EXPECT_FALSE(model::alloc_pages(mm, 1, model::GFP_ATOMIC));
      // Nothing to reclaim: a NORETRY context fails after its one round, a
      // plain one takes the pages anyway (the OOM stand-in).
      EXPECT_FALSE(model::alloc_pages(mm, 1, model::GFP_KERNEL | model::__GFP_NORETRY));
      EXPECT_TRUE(model::alloc_pages(mm, 1, model::GFP_KERNEL));
      EXPECT_EQ(mm.free_pages, 2);
    });
    s.run();
  });
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
  // The plain GFP_KERNEL page above was granted below min: too small to fail.
  EXPECT_EQ(mark_hits(r, "mm.alloc_too_small_to_fail"), 1u);
}

// --- mempools ------------------------------------------------------------------

// mempool_alloc's first try has no direct reclaim; with the reserve empty it
// tries again with the caller's flags before it waits, and only then.
TEST(Mempool, an_empty_reserve_sends_the_allocation_to_direct_reclaim_once) {
  for (const bool reserve_empty : {false, true}) {
    const auto r = run_checked([reserve_empty](sim::Scheduler& s, checkers::Suite&) {
      model::Mm mm;
      mm.free_pages = 4;  // at min: the non-reclaiming try fails
      mm.min_pages = 4;
      mm.low_pages = 4;
      model::Mempool pool(mm, "pool", 1);
      s.spawn("a", [&] {
        if (reserve_empty) {
          EXPECT_TRUE(model::mempool_alloc(pool, model::GFP_KERNEL));  // the reserve's element
        }
        // Reclaim finds nothing and NORETRY gives up below min, so an empty
        // reserve means waiting for the free below.
        EXPECT_TRUE(model::mempool_alloc(pool, model::GFP_KERNEL));
      });
      s.spawn("b", [&] {
        sim::sleep(3 * sim::kMs);
        model::mempool_free(pool);
        if (reserve_empty) model::mempool_free(pool);
      });
      s.run();
    });
    EXPECT_EQ(checker_of(r), "none") << message_of(r);
    EXPECT_EQ(mark_hits(r, "mm.mempool_reclaim"), reserve_empty ? 1u : 0u) << "reserve empty: " << reserve_empty;
    EXPECT_EQ(mark_hits(r, "mm.mempool_wait"), reserve_empty ? 1u : 0u) << "reserve empty: " << reserve_empty;
  }
}

TEST(Mempool, takes_the_reserve_then_waits_for_a_freed_element) {
  const auto r = run_checked([](sim::Scheduler& s, checkers::Suite&) {
    model::Mm mm;
    mm.free_pages = 0;  // the page allocator has nothing
    mm.min_pages = 4;
    mm.low_pages = 4;
    model::Mempool pool(mm, "pool", 2);
    sim::Time got_third = 0;
    s.spawn("a", [&] {
      EXPECT_TRUE(model::mempool_alloc(pool, model::GFP_KERNEL));
      EXPECT_TRUE(model::mempool_alloc(pool, model::GFP_KERNEL));
      EXPECT_EQ(pool.curr_nr, 0u);
      EXPECT_FALSE(model::mempool_alloc(pool, model::GFP_NOWAIT));  // may not wait
      EXPECT_TRUE(model::mempool_alloc(pool, model::GFP_KERNEL));   // waits for b's free
      got_third = sim::now();
    });
    s.spawn("b", [&] {
      sim::sleep(3 * sim::kMs);
      model::mempool_free(pool);  // refills the reserve first
    });
    s.run();
    EXPECT_GE(got_third, 3 * sim::kMs);
    EXPECT_LT(got_third, 5 * sim::kSec);  // woken by the free, not by the timeout
  });
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// --- kswapd ------------------------------------------------------------------

TEST(Kswapd, reclaims_to_the_high_watermark_leaving_folios_someone_holds) {
  const auto r = run_checked([](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w({.free_pages = 60, .min_pages = 4, .low_pages = 8, .kswapd = true});
    model::NetfsInode& inode = w.create_file();
    s.spawn("t", [&] {
      model::NetfsFile f = w.open(inode);
      // Folios of four pages (memory too fragmented for larger ones), so
      // that the one held below is not the whole file.
      model::netfs_file_write(f, 0, bytes(1, 32 * 4096), {.max_folio_order = 2});
      model::netfs_fsync(f);  // clean: reclaimable
      model::Folio* pinned = model::filemap_get_folio(inode.mapping, 0);
      ASSERT_NE(pinned, nullptr);
      model::folio_get(*pinned);  // someone holds it: reclaim must leave it
      // Take memory until below the low watermark: that wakes kswapd.
      unsigned taken = 0;
      for (; w.mm().free_pages >= w.mm().low_pages; ++taken) ASSERT_TRUE(model::alloc_pages(w.mm(), 1, model::GFP_NOWAIT));
      const std::uint64_t before = w.kswapd()->reclaimed();
      sim::sleep(sim::kSec);
      EXPECT_GT(w.kswapd()->reclaimed(), before);
      EXPECT_GT(w.mm().free_pages, model::high_wmark(w.mm()));  // pgdat_balanced: above the mark
      EXPECT_EQ(model::filemap_get_folio(inode.mapping, 0), pinned);
      model::folio_put(*pinned);
      model::free_pages(w.mm(), taken);
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

TEST(Kswapd, a_hopeless_node_ignores_wakeups_until_direct_reclaim_progresses) {
  const auto r = run_checked([](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w({.free_pages = 4, .min_pages = 2, .low_pages = 8, .kswapd = true});
    s.spawn("t", [&] {
      // Nothing is reclaimable: kswapd tries MAX_RECLAIM_RETRIES times.
      w.kswapd()->wakeup();
      sim::sleep(10 * sim::kSec);
      EXPECT_TRUE(w.kswapd()->hopeless());
      w.kswapd()->reclaim_progress();
      EXPECT_FALSE(w.kswapd()->hopeless());
      w.mm().free_pages += 100;  // memory a process outside the model gave back
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// --- migration -------------------------------------------------------------------

TEST(Migrate, refuses_a_folio_someone_else_holds_and_moves_it_once_released) {
  const auto r = run_checked([](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w;
    model::NetfsInode& inode = w.create_file();
    s.spawn("t", [&] {
      model::NetfsFile f = w.open(inode);
      model::netfs_file_write(f, 0, bytes(2, 4096), {});
      model::netfs_fsync(f);
      model::Folio& folio = *model::filemap_get_folio(inode.mapping, 0);
      model::folio_get(folio);  // the isolation reference
      model::folio_get(folio);  // a stranger's
      EXPECT_EQ(model::migrate_folio(folio, model::MigrateMode::sync), -11);  // -EAGAIN
      EXPECT_EQ(w.mm().pgmigrate_success, 0u);  // what kcompactd's mm.kcompactd_migrated reads
      model::folio_put(folio);
      EXPECT_EQ(model::migrate_folio(folio, model::MigrateMode::sync), 0);
      EXPECT_EQ(w.mm().pgmigrate_success, 1u);
      // A new folio holds the page now, with the contents and the flags;
      // the old one is out of the cache and goes with the isolation
      // reference.
      model::Folio* moved = model::filemap_get_folio(inode.mapping, 0);
      ASSERT_NE(moved, nullptr);
      EXPECT_NE(moved, &folio);
      EXPECT_EQ(moved->data, bytes(2, 4096));
      EXPECT_TRUE(model::folio_test_uptodate(*moved));
      EXPECT_EQ(moved->refcount, 1 + (moved->test(model::PG_private) ? 1 : 0));
      EXPECT_EQ(folio.mapping, nullptr);
      model::folio_put(folio);
      EXPECT_TRUE(folio.freed);
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// A dirty folio with a streaming write's record migrates with it (the
// record, the dirty bit and its TOWRITE-to-be state): the fsync after it
// writes the new folio's bytes, and the server holds them.
TEST(Migrate, a_dirty_streaming_folio_moves_with_its_record_and_is_written_back) {
  const auto r = run_checked([](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w;
    model::NetfsInode& inode = w.create_file();
    w.preload(inode, bytes(1, 8192));
    s.spawn("t", [&] {
      model::NetfsFile f = w.open(inode);
      ASSERT_EQ(model::netfs_file_write(f, 100, bytes(7, 200), {}), 200);
      model::Folio& folio = *model::filemap_get_folio(inode.mapping, 0);
      ASSERT_EQ(folio.priv.kind, model::FolioPrivate::Kind::streaming);
      model::NetfsFolio* finfo = folio.priv.finfo;
      model::folio_get(folio);  // the isolation reference
      EXPECT_EQ(model::migrate_folio(folio, model::MigrateMode::sync), 0);
      model::folio_put(folio);
      model::Folio* moved = model::filemap_get_folio(inode.mapping, 0);
      ASSERT_NE(moved, &folio);
      EXPECT_TRUE(model::folio_test_dirty(*moved));
      EXPECT_EQ(moved->priv.finfo, finfo);
      EXPECT_EQ(moved->refcount, 2);  // the page cache's and the record's
      EXPECT_EQ(model::netfs_fsync(f), 0);
      std::vector<std::uint8_t> want = bytes(1, 8192);
      std::fill(want.begin() + 100, want.begin() + 300, 7);
      EXPECT_EQ(w.server().file(inode.ino).data, want);
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// --- FUSE ------------------------------------------------------------------------

// A slow multi-threaded server in the legacy design; the writer rewrites
// and fsyncs. With fuse_sync_writes left out, fsync returns while copies
// are still in flight.
sim::RunResult temp_pages_fsync(bool waits_in_flight) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w({.background_thresh_pages = 1, .dirty_thresh_pages = 64});
    // WRITEs take 4 ms more than the FSYNC that follows them.
    model::FuseConn fc(w, {.server_threads = 4,
                           .temp_pages = true,
                           .handler_time = 1 * sim::kMs,
                           .handler_ns_per_kib = sim::kMs,
                           .fsync_waits_in_flight = waits_in_flight});
    model::FuseInode& inode = fc.create_file();
    s.spawn("writer", [&] {
      fc.write(inode, 0, bytes(0x33, 3 * 4096));
      EXPECT_EQ(fc.fsync(inode, /*datasync=*/true), 0);
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
}

TEST(WritebackTruthChecker, fires_when_fsync_returns_with_copies_in_flight) {
  const auto r = temp_pages_fsync(/*waits_in_flight=*/false);
  ASSERT_EQ(checker_of(r), "writeback-truth") << message_of(r);
  EXPECT_NE(message_of(r).find("copies still in flight"), std::string::npos) << message_of(r);
}

TEST(WritebackTruthChecker, stays_quiet_when_fsync_waits_for_the_copies) {
  const auto r = temp_pages_fsync(/*waits_in_flight=*/true);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// The server dies holding the requests it read; a supervisor restarts it
// on the kept fd, with or without FUSE_NOTIFY_RESEND.
sim::RunResult crash_and_restart(bool resend, bool* fsync_returned) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w({.background_thresh_pages = 1, .dirty_thresh_pages = 64});
    model::FuseConn fc(w, {.server_threads = 1, .handler_time = 10 * sim::kMs});
    model::FuseInode& inode = fc.create_file();
    s.spawn("writer", [&] {
      fc.write(inode, 0, bytes(0x44, 2 * 4096));
      sim::sleep(5 * sim::kMs);  // the server has read the first WRITE
      fc.crash(/*keep_fd=*/true);
      sim::sleep(sim::kMs);
      fc.restart(resend);
      EXPECT_EQ(fc.fsync(inode), 0);
      *fsync_returned = true;
    });
    s.spawn("clock", [] { sim::sleep(30 * sim::kSec); });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
}

TEST(FuseConn, a_restarted_server_without_resend_leaves_fsync_waiting_for_the_lost_request) {
  bool returned_with_resend = false, returned_without = false;
  const auto with = crash_and_restart(/*resend=*/true, &returned_with_resend);
  EXPECT_EQ(checker_of(with), "none") << message_of(with);
  EXPECT_TRUE(returned_with_resend);
  // Nobody holds the lost WRITE: once the clock fiber ends, fsync waits on
  // something nothing left can wake.
  const auto without = crash_and_restart(/*resend=*/false, &returned_without);
  EXPECT_EQ(checker_of(without), "deadlock") << message_of(without);
  EXPECT_FALSE(returned_without);
}

TEST(FuseConn, abort_ends_every_request_with_an_error_that_fsync_reports) {
  const auto r = run_checked([](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w({.background_thresh_pages = 1, .dirty_thresh_pages = 64});
    model::FuseConn fc(w, {.server_threads = 1});
    model::FuseInode& inode = fc.create_file();
    fc.never_reply();
    s.spawn("writer", [&] {
      fc.write(inode, 0, bytes(0x55, 2 * 4096));
      sim::sleep(sim::kSec);
      EXPECT_TRUE(model::folio_test_writeback(*model::filemap_get_folio(inode.mapping, 0)));
      fc.abort();
      EXPECT_FALSE(model::folio_test_writeback(*model::filemap_get_folio(inode.mapping, 0)));
      EXPECT_NE(fc.fsync(inode), 0);
      EXPECT_EQ(fc.write(inode, 3 * 4096 + 10, bytes(1, 10)), -107);  // -ENOTCONN: the page cannot be read
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

TEST(SyncFileRange, returns_with_legacy_copies_in_flight_but_waits_for_held_writeback) {
  for (const bool temp : {true, false}) {
    const auto r = run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
      model::World w;
      model::FuseConn fc(w, {.server_threads = 1, .temp_pages = temp, .handler_time = 10 * sim::kMs});
      model::FuseInode& inode = fc.create_file();
      s.spawn("writer", [&] {
        fc.write(inode, 0, bytes(0x66, 4096));
        const unsigned all = model::SYNC_FILE_RANGE_WAIT_BEFORE | model::SYNC_FILE_RANGE_WRITE |
                             model::SYNC_FILE_RANGE_WAIT_AFTER;
        EXPECT_EQ(fc.sync_file_range(inode, 0, 0, all), 0);
        // No temporary pages: writeback ended with the reply, so the data
        // is there. Temporary pages: the copy may still be on its way.
        EXPECT_EQ(inode.server_data.empty(), temp);
      });
      s.run();
      suite.liveness_phase(s, w, 60 * sim::kSec);
    });
    EXPECT_EQ(checker_of(r), "none") << (temp ? "temp pages: " : "no temp pages: ") << message_of(r);
  }
}

}  // namespace
}  // namespace wbsim
