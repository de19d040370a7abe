// request-state's hard boundaries across a retry and refcount's direct-I/O
// count, ciphertext, dropped folios, buffer segments, netfs_folio records
// and pages handed out, each planted in a checked run next to the same run
// without it (checkers/request_state.cpp, checkers/retry.cpp).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "checkers/suite.h"
#include "model/events.h"
#include "model/mm/mempool.h"
#include "model/mm/reclaim.h"
#include "model/netfs/internal.h"
#include "model/netfs/netfs.h"
#include "model/world.h"
#include "tests/checked_run.h"

namespace wbsim {
namespace {

using model::loff_t;
using test::checked::checker_of;
using test::checked::in_one_fiber;
using test::checked::point_iter;
using test::checked::message_of;
using test::checked::run_checked;


// --- request-state: NETFS_SREQ_BOUNDARY across a retry -----------------------------------

// A writeback subrequest 0+8192, marked a hard boundary by the filesystem or
// not, fails and is retried as 0+4096 and an inserted 4096+4096 that
// carries the mark (netfs_retry_write_stream moves it to the span's last
// subrequest).
sim::RunResult retry_moves_boundary(bool first_marked) {
  return in_one_fiber("writer", [&](model::World&, model::NetfsInode& inode) {
    model::NetfsIoRequest& wreq = model::netfs_alloc_request(inode, 0, 8192, model::NetfsIoOrigin::writeback);
    model::NetfsIoStream& stream = wreq.io_streams[0];
    model::NetfsIoSubrequest& a = model::netfs_alloc_subrequest(wreq);
    a.start = 0;
    a.len = 8192;
    if (first_marked) sim::set_bit(model::NETFS_SREQ_BOUNDARY, a.flags);
    stream.subrequests.push_back(&a);
    point_iter(a);
    MODEL_EVENT(subreq_issued(a, false));
    MODEL_EVENT(subreq_terminated(a));
    MODEL_EVENT(retry_begin(wreq));
    sim::clear_bit(model::NETFS_SREQ_BOUNDARY, a.flags);
    a.len = 4096;
    point_iter(a);
    MODEL_EVENT(subreq_issued(a, true));
    model::NetfsIoSubrequest& b = model::netfs_alloc_subrequest(wreq);
    b.start = 4096;
    b.len = 4096;
    sim::set_bit(model::NETFS_SREQ_BOUNDARY, b.flags);
    stream.subrequests.push_back(&b);
    MODEL_EVENT(subreq_added(wreq, stream, b, true));
    point_iter(b);
    MODEL_EVENT(subreq_issued(b, true));
    MODEL_EVENT(retry_end(wreq));
  });
}

TEST(RequestStateChecker, fires_on_a_retry_that_makes_a_hard_boundary_the_filesystem_never_set) {
  const auto r = retry_moves_boundary(/*first_marked=*/false);
  ASSERT_EQ(checker_of(r), "request-state") << message_of(r);
  EXPECT_NE(message_of(r).find("reissued marked NETFS_SREQ_BOUNDARY at 8192"), std::string::npos) << message_of(r);
}

TEST(RequestStateChecker, stays_quiet_when_a_retry_moves_the_boundary_to_the_same_end) {
  const auto r = retry_moves_boundary(/*first_marked=*/true);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// --- refcount: i_dio_count --------------------------------------------------------------

// An O_DIRECT write to a file, then (planted) an inode_dio_begin() that no
// inode_dio_end() follows, as if the write's completion skipped it.
sim::RunResult dio_write_then(bool leak) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("app", [&] {
      model::NetfsFile f = w.open(inode, model::FMODE_READ | model::FMODE_WRITE, model::IOCB_DIRECT);
      ASSERT_EQ(model::netfs_file_write(f, 0, std::vector<std::uint8_t>(8192, 0x6b), {}), 8192);
      ASSERT_EQ(inode.i_dio_count, 0);
      if (leak) ++inode.i_dio_count;
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
}

TEST(RefcountChecker, fires_on_an_inode_dio_begin_never_ended) {
  const auto r = dio_write_then(/*leak=*/true);
  ASSERT_EQ(checker_of(r), "refcount") << message_of(r);
  EXPECT_NE(message_of(r).find("i_dio_count is 1 at quiescence"), std::string::npos) << message_of(r);
}

TEST(RefcountChecker, stays_quiet_when_every_inode_dio_begin_is_ended) {
  const auto r = dio_write_then(/*leak=*/false);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// --- refcount: ciphertext of cleaned folios ------------------------------------------------

// An encrypting request whose collector pass ends with cleaned_to at 4096
// and the ciphertext of 0+4096 (planted: never freed) or of 4096+4096 left.
sim::RunResult collector_pass_keeps_ciphertext_at(loff_t fpos) {
  return in_one_fiber("collector", [&](model::World&, model::NetfsInode& inode) {
    model::NetfsIoRequest& wreq = model::netfs_alloc_request(inode, 0, 8192, model::NetfsIoOrigin::writeback);
    wreq.crypto = true;
    wreq.crypto_buffer[fpos] = std::vector<std::uint8_t>(4096, 0x5a);
    wreq.cleaned_to = 4096;
    MODEL_EVENT(collector_end(wreq));
  });
}

TEST(RefcountChecker, fires_on_ciphertext_kept_below_cleaned_to) {
  const auto r = collector_pass_keeps_ciphertext_at(0);
  ASSERT_EQ(checker_of(r), "refcount") << message_of(r);
  EXPECT_NE(message_of(r).find("keeps the ciphertext of 0+4096 after its collector cleaned up to 4096"),
            std::string::npos)
      << message_of(r);
}

TEST(RefcountChecker, stays_quiet_on_ciphertext_above_cleaned_to) {
  const auto r = collector_pass_keeps_ciphertext_at(4096);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// --- refcount: a folio out of the page cache ----------------------------------------

// A written and synced folio that the page cache then drops (as
// invalidate_inode_pages2 does when the server says the file changed),
// while the fiber holds a reference of its own it puts (or, planted,
// forgets).
sim::RunResult dropped_folio(bool leak) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w;
    model::NetfsInode& inode = w.create_file();
    s.spawn("app", [&] {
      model::NetfsFile f = w.open(inode);
      ASSERT_EQ(model::netfs_file_write(f, 0, std::vector<std::uint8_t>(4096, 0x5a), {}), 4096);
      ASSERT_EQ(model::netfs_fsync(f), 0);
      model::Folio* folio = model::filemap_get_folio(inode.mapping, 0);
      ASSERT_NE(folio, nullptr);
      model::folio_get(*folio);
      EXPECT_EQ(model::netfs_invalidate_inode_pages2(f), 0);
      EXPECT_EQ(folio->mapping, nullptr);
      if (!leak) model::folio_put(*folio);
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
}

TEST(RefcountChecker, fires_on_a_folio_out_of_the_page_cache_still_referenced) {
  const auto r = dropped_folio(/*leak=*/true);
  ASSERT_EQ(checker_of(r), "refcount") << message_of(r);
  EXPECT_NE(message_of(r).find("was removed from the page cache but holds 1 references"), std::string::npos)
      << message_of(r);
}

TEST(RefcountChecker, stays_quiet_when_the_last_reference_of_a_dropped_folio_is_put) {
  const auto r = dropped_folio(/*leak=*/false);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// A written and synced file whose writeback request, once freed, still has
// (planted) a segment of its rolling buffer that rolling_buffer_clear()
// never freed.
sim::RunResult synced_request(bool keep_segment) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w;
    model::NetfsInode& inode = w.create_file();
    s.spawn("app", [&] {
      model::NetfsFile f = w.open(inode);
      ASSERT_EQ(model::netfs_file_write(f, 0, std::vector<std::uint8_t>(8192, 0x6b), {}), 8192);
      ASSERT_EQ(model::netfs_fsync(f), 0);
      ASSERT_FALSE(inode.requests.empty());
      ASSERT_FALSE(inode.requests.back()->buffer.segments.empty());
      sim::sleep(sim::kSec);  // the collector has put the request's last reference
      ASSERT_EQ(inode.requests.back()->ref, 0);
      if (keep_segment) inode.requests.back()->buffer.segments.front()->freed = false;
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
}

TEST(RefcountChecker, fires_on_a_freed_request_that_kept_a_buffer_segment) {
  const auto r = synced_request(/*keep_segment=*/true);
  ASSERT_EQ(checker_of(r), "refcount") << message_of(r);
  EXPECT_NE(message_of(r).find("folio_queue segment 1 of its buffer never was"), std::string::npos) << message_of(r);
}

TEST(RefcountChecker, stays_quiet_when_every_buffer_segment_was_freed) {
  EXPECT_EQ(checker_of(synced_request(/*keep_segment=*/false)), "none");
}

// --- refcount: a streaming write's netfs_folio record --------------------------------

// A streaming write (part of a folio of a file on the server, never read)
// attaches a netfs_folio record; the fsync's collector frees it. Planted: a
// record kmalloc'd and lost (never attached, never freed), or, quiet, one
// kfree'd.
sim::RunResult streaming_record(bool lose) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w;
    model::NetfsInode& inode = w.create_file();
    w.preload(inode, std::vector<std::uint8_t>(8192, 0x11));
    s.spawn("app", [&] {
      model::NetfsFile f = w.open(inode);
      ASSERT_EQ(model::netfs_file_write(f, 100, std::vector<std::uint8_t>(200, 0x3c), {}), 200);
      model::Folio* folio = model::filemap_get_folio(inode.mapping, 0);
      ASSERT_NE(folio, nullptr);
      ASSERT_EQ(folio->priv.kind, model::FolioPrivate::Kind::streaming);
      auto* extra = new model::NetfsFolio{nullptr, 0, 1};
      if (!lose) model::netfs_free_folio_info(extra);
      ASSERT_EQ(model::netfs_fsync(f), 0);
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
}

TEST(RefcountChecker, fires_on_a_netfs_folio_record_neither_attached_nor_freed) {
  const auto r = streaming_record(/*lose=*/true);
  ASSERT_EQ(checker_of(r), "refcount") << message_of(r);
  EXPECT_NE(message_of(r).find("1 netfs_folio records are neither attached to a folio nor freed"), std::string::npos)
      << message_of(r);
}

TEST(RefcountChecker, stays_quiet_when_every_netfs_folio_record_is_freed) {
  EXPECT_EQ(checker_of(streaming_record(/*lose=*/false)), "none");
}

// --- refcount: pages handed out and never given back ---------------------------

// A FUSE-server-like handler takes pages from the page allocator and one
// element of a drained mempool's reserve for a request, and gives them back
// (or, planted, forgets the pages).
sim::RunResult handler_pages(bool leak) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w;
    model::Mempool pool(w.mm(), "pool", 1);
    s.spawn("handler", [&] {
      ASSERT_TRUE(model::alloc_pages(w.mm(), 3, model::GFP_KERNEL));
      const std::int64_t budget = w.mm().free_pages;
      w.mm().free_pages = 0;  // the page allocator is dry: the reserve gives the element
      ASSERT_TRUE(model::mempool_alloc(pool, model::GFP_NOWAIT));
      EXPECT_EQ(pool.curr_nr, 0u);
      w.mm().free_pages = budget;
      model::mempool_free(pool);  // refills the reserve
      if (!leak) model::free_pages(w.mm(), 3);
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
}

TEST(RefcountChecker, fires_on_pages_never_given_back) {
  const auto r = handler_pages(/*leak=*/true);
  ASSERT_EQ(checker_of(r), "refcount") << message_of(r);
  EXPECT_NE(message_of(r).find("3 pages handed out by alloc_pages() or a mempool are not given back"),
            std::string::npos)
      << message_of(r);
}

TEST(RefcountChecker, stays_quiet_when_every_page_and_element_is_given_back) {
  EXPECT_EQ(checker_of(handler_pages(/*leak=*/false)), "none");
}

}  // namespace
}  // namespace wbsim
