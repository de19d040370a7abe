// The checks written for the engine mistakes no checker caught (the
// survivors of docs/checkers.md, "Mutation score"), each shown firing on a
// planted violation and staying quiet on the same run without it.
#include <gtest/gtest.h>
#include <fmt/format.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "checkers/suite.h"
#include "model/events.h"
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

// --- request-state: cleaned_to -----------------------------------------------------------

// A writeback request's collector ends writeback on two adjacent folios,
// announced as netfs_writeback_unlock_folios() would, moving cleaned_to to
// the end of each folio it ended, or (`skew`) that many bytes past it.
sim::RunResult collector_cleans_two_folios(loff_t skew) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("collector", [&] {
      model::NetfsIoRequest& wreq = model::netfs_alloc_request(inode, 0, 0, model::NetfsIoOrigin::writeback);
      MODEL_EVENT(wreq_created(wreq));
      MODEL_EVENT(collector_begin(wreq));
      for (model::pgoff_t i = 0; i < 2; ++i) {
        model::Folio* folio = model::filemap_alloc_and_add_folio(inode.mapping, i, 0);
        model::folio_unlock(*folio);
        MODEL_EVENT(folio_written_back(&wreq, *folio, -1));
        wreq.cleaned_to = folio->pos() + static_cast<loff_t>(folio->size()) + skew;
      }
      MODEL_EVENT(collector_end(wreq));
      wreq.cleaned_to = 8192;
      MODEL_EVENT(collected(wreq));
    });
    s.run();
  });
}

TEST(RequestStateChecker, fires_when_cleaned_to_is_not_the_end_of_the_last_folio_ended) {
  for (const loff_t skew : {loff_t{1}, loff_t{-1}}) {
    const auto r = collector_cleans_two_folios(skew);
    ASSERT_EQ(checker_of(r), "request-state") << message_of(r);
    EXPECT_NE(message_of(r).find(fmt::format("cleaned_to is {}, but the last folio the collector ended writeback on "
                                             "ends at 4096 (N2)",
                                             4096 + skew)),
              std::string::npos)
        << message_of(r);
  }
}

TEST(RequestStateChecker, stays_quiet_when_cleaned_to_follows_the_folios_ended) {
  const auto r = collector_cleans_two_folios(0);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// --- app-contract: an io_uring direct write over cached pages ------------------------------

// io_uring tries a direct write with IOCB_NOWAIT first and, on -EAGAIN,
// punts it to a worker that may block: an -EAGAIN of the first attempt
// never reaches the application. Here the range is in the page cache
// (written and synced first), which is what sends the attempt through
// filemap_invalidate_inode().
TEST(AppContractChecker, an_io_uring_direct_write_over_cached_pages_returns_its_count) {
  std::int64_t ret = 0;
  const auto r = run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w;
    model::NetfsInode& inode = w.create_file();
    s.spawn("app", [&] {
      model::NetfsFile f = w.open(inode);
      model::netfs_file_write(f, 0, std::vector<std::uint8_t>(8192, 0x21), {});
      model::netfs_fsync(f);
      ret = model::netfs_unbuffered_write_iter(f, 0, std::vector<std::uint8_t>(8192, 0x22), /*aio=*/true);
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
  EXPECT_EQ(ret, 8192);
}

// --- request-state: a direct read's stream cursor -------------------------------------------

// Two subrequests of a direct read queued on its stream, announced as
// netfs_dispatch_unbuffered_reads() would, with the stream published as
// dispatch does it, or not published active (`unpublished`), or with its
// collected_to moved to each new subrequest's start (`ahead`).
enum class Publish { right, unpublished, ahead };
sim::RunResult dispatch_two_reads(Publish how) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("reader", [&] {
      model::NetfsIoRequest& rreq = model::netfs_alloc_request(inode, 0, 8192, model::NetfsIoOrigin::dio_read);
      model::NetfsIoStream& stream = rreq.io_streams[0];
      for (loff_t start : {loff_t{0}, loff_t{4096}}) {
        model::NetfsIoSubrequest& subreq = model::netfs_alloc_subrequest(rreq);
        subreq.start = start;
        subreq.len = 4096;
        stream.subrequests.push_back(&subreq);
        if (!stream.active && how != Publish::unpublished) {
          stream.collected_to = start;
          stream.active = true;
        }
        if (how == Publish::ahead) stream.collected_to = start;  // the cursor follows the tail
        MODEL_EVENT(read_subreq_queued(rreq, stream, subreq));
      }
    });
    s.run();
  });
}

TEST(RequestStateChecker, fires_when_a_read_stream_is_not_published_at_its_first_subrequest) {
  auto r = dispatch_two_reads(Publish::unpublished);
  ASSERT_EQ(checker_of(r), "request-state") << message_of(r);
  EXPECT_NE(message_of(r).find("(stream 0, 0+4096) joined stream 0, which is not published active (N2)"),
            std::string::npos)
      << message_of(r);
  r = dispatch_two_reads(Publish::ahead);
  ASSERT_EQ(checker_of(r), "request-state") << message_of(r);
  EXPECT_NE(message_of(r).find("stream 0's collected_to is 4096 when another is queued, but its front subrequest"),
            std::string::npos)
      << message_of(r);
}

TEST(RequestStateChecker, stays_quiet_when_a_read_stream_is_published_at_its_first_subrequest) {
  const auto r = dispatch_two_reads(Publish::right);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// --- mapped-access -------------------------------------------------------------------------

// A mapped load of 0+4096 faulting, as the fault path announces it, at its
// first byte, or (`past`) at the first byte after it.
sim::RunResult mapped_load_faults_at(bool past) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("app", [&] {
      MODEL_EVENT(mapped_access(inode, 0, 4096, true));
      MODEL_EVENT(mapped_fault(inode, past ? 4096 : 0));
      MODEL_EVENT(mapped_access(inode, 0, 4096, false));
    });
    s.run();
  });
}

TEST(MappedAccessChecker, fires_on_a_fault_past_the_bytes_an_access_touches) {
  const auto r = mapped_load_faults_at(/*past=*/true);
  ASSERT_EQ(checker_of(r), "mapped-access") << message_of(r);
  EXPECT_NE(message_of(r).find("a mapped access of 0+4096 faults at 4096, a byte it does not touch"),
            std::string::npos)
      << message_of(r);
}

TEST(MappedAccessChecker, stays_quiet_on_a_fault_inside_the_access) {
  EXPECT_EQ(checker_of(mapped_load_faults_at(/*past=*/false)), "none");
}

// --- refcount: a folio out of the page cache ----------------------------------------

// A written and synced folio that the page cache then drops (as
// invalidate_inode_pages2 does for a fadvise or a DIO write), while the
// fiber holds a reference of its own it puts (or, planted, forgets).
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
      EXPECT_EQ(model::netfs_drop_page_cache(f), 0);
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

// --- server-protocol: read RPC size -------------------------------------------------------

// A direct read's subrequest handed to ->issue_read, of the negotiated I/O
// size or (planted, as if ->prepare_read had not bounded it) twice that.
sim::RunResult issue_read_of(std::uint64_t len) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.server = {.wsize = 8192}, .flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("reader", [&] {
      model::NetfsIoRequest& rreq = model::netfs_alloc_request(inode, 0, len, model::NetfsIoOrigin::dio_read);
      model::NetfsIoSubrequest& subreq = model::netfs_alloc_subrequest(rreq);
      subreq.len = len;
      MODEL_EVENT(read_subreq_issued(rreq, subreq, 0, len));
    });
    s.run();
  });
}

TEST(ServerProtocolChecker, fires_on_a_read_rpc_larger_than_the_negotiated_size) {
  const auto r = issue_read_of(16384);
  ASSERT_EQ(checker_of(r), "server-protocol") << message_of(r);
  EXPECT_NE(message_of(r).find("a read RPC of 16384 bytes at 0, but the negotiated I/O size is 8192"),
            std::string::npos)
      << message_of(r);
}

TEST(ServerProtocolChecker, stays_quiet_on_a_read_rpc_of_the_negotiated_size) {
  EXPECT_EQ(checker_of(issue_read_of(8192)), "none");
}

TEST(ServerProtocolChecker, fires_on_an_empty_read_rpc) {
  const auto r = issue_read_of(0);
  ASSERT_EQ(checker_of(r), "server-protocol") << message_of(r);
  EXPECT_NE(message_of(r).find("an empty read RPC at 0"), std::string::npos) << message_of(r);
}

// --- request-state: no read issued after a failed one ----------------------------------

// The second subrequest of a direct read handed to ->issue_read after the
// first terminated, failed (planted) or not.
sim::RunResult issue_after(bool first_failed) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("reader", [&] {
      model::NetfsIoRequest& rreq = model::netfs_alloc_request(inode, 0, 8192, model::NetfsIoOrigin::dio_read);
      model::NetfsIoStream& stream = rreq.io_streams[0];
      std::vector<model::NetfsIoSubrequest*> subs;
      for (loff_t start : {loff_t{0}, loff_t{4096}}) {
        model::NetfsIoSubrequest& subreq = model::netfs_alloc_subrequest(rreq);
        subreq.start = start;
        subreq.len = 4096;
        stream.subrequests.push_back(&subreq);
        subs.push_back(&subreq);
      }
      if (first_failed) sim::set_bit(model::NETFS_SREQ_FAILED, subs[0]->flags);
      MODEL_EVENT(read_subreq_issued(rreq, *subs[1], 4096, 4096));
    });
    s.run();
  });
}

TEST(RequestStateChecker, fires_on_a_read_sent_after_another_of_its_request_failed) {
  const auto r = issue_after(/*first_failed=*/true);
  ASSERT_EQ(checker_of(r), "request-state") << message_of(r);
  EXPECT_NE(message_of(r).find("the issuer should have paused"), std::string::npos) << message_of(r);
}

TEST(RequestStateChecker, stays_quiet_on_a_read_sent_after_one_that_succeeded) {
  EXPECT_EQ(checker_of(issue_after(/*first_failed=*/false)), "none");
}

// --- write-group (N15) ------------------------------------------------------------------

// Two stores into one folio, under groups A and B (planted) or A twice, the
// folio's writeback starting between them or not.
sim::RunResult two_group_stores(bool other_group, bool written_between) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    s.spawn("writer", [&] {
      model::Folio folio;
      folio.id = 7;
      model::NetfsGroup a{.ref = 1, .id = 1}, b{.ref = 1, .id = 2};
      MODEL_EVENT(group_stored(folio, &a));
      model::folio_lock(folio);  // writeback starts under the folio lock
      if (written_between) MODEL_EVENT(folio_start_writeback(folio));
      MODEL_EVENT(group_stored(folio, other_group ? &b : &a));
    });
    s.run();
  });
}

TEST(WriteGroupChecker, fires_when_a_store_joins_another_groups_unwritten_data) {
  const auto r = two_group_stores(/*other_group=*/true, /*written_between=*/false);
  ASSERT_EQ(checker_of(r), "write-group") << message_of(r);
  EXPECT_NE(message_of(r).find("a store under group #2 joined the unwritten data of group #1"), std::string::npos)
      << message_of(r);
}

TEST(WriteGroupChecker, stays_quiet_on_the_same_group_or_after_the_folio_was_written) {
  EXPECT_EQ(checker_of(two_group_stores(/*other_group=*/false, /*written_between=*/false)), "none");
  EXPECT_EQ(checker_of(two_group_stores(/*other_group=*/true, /*written_between=*/true)), "none");
}

// A request of write group `wreq_group` ends writeback on a folio whose
// data group A stored.
sim::RunResult written_back_by(std::uint32_t wreq_group) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    inode.writeback_groups = true;
    s.spawn("writeback", [&] {
      model::Folio folio;
      folio.id = 7;
      model::NetfsGroup a{.ref = 1, .id = 1}, b{.ref = 1, .id = 2};
      folio.mapping = &inode.mapping;
      inode.i_size = inode.zero_point = 4096;
      model::NetfsIoRequest& wreq = model::netfs_alloc_request(inode, 0, 4096, model::NetfsIoOrigin::writeback);
      wreq.group = wreq_group == 1 ? &a : &b;
      MODEL_EVENT(group_stored(folio, &a));
      model::folio_lock(folio);  // writeback starts under the folio lock
      MODEL_EVENT(folio_start_writeback(folio));
      MODEL_EVENT(folio_written_back(&wreq, folio, 4096));
    });
    s.run();
  });
}

TEST(WriteGroupChecker, fires_when_a_request_writes_back_another_groups_data) {
  const auto r = written_back_by(2);
  ASSERT_EQ(checker_of(r), "write-group") << message_of(r);
  EXPECT_NE(message_of(r).find("holding group #1's data was written back by"), std::string::npos) << message_of(r);
}

TEST(WriteGroupChecker, stays_quiet_when_a_request_writes_back_its_own_groups_data) {
  EXPECT_EQ(checker_of(written_back_by(1)), "none");
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

// --- request-state: issue order after an unbuffered write's inline retry -----------------

// Points a subrequest's io_iter at what it has left to send, as the
// unbuffered issuer does from the request's iterator.
void point_iter(model::NetfsIoSubrequest& sr) {
  sr.io_iter_start = sr.start + static_cast<loff_t>(sr.transferred);
  sr.io_iter_count = sr.len - sr.transferred;
}

// An unbuffered write's first subrequest (0+8192) fails with -EAGAIN and is
// reissued cut to a new wsize (0+4096); the next one starts where the cut
// one ends (4096), or (planted) inside it (2048).
sim::RunResult recut_then_next(loff_t next_start) {
  return in_one_fiber("writer", [&](model::World& w, model::NetfsInode& inode) {
    model::NetfsIoRequest& wreq = model::netfs_alloc_request(inode, 0, 8192, model::NetfsIoOrigin::dio_write);
    model::NetfsIoStream& stream = wreq.io_streams[0];
    model::NetfsIoSubrequest& a = model::netfs_alloc_subrequest(wreq);
    a.start = 0;
    a.len = 8192;
    stream.subrequests.push_back(&a);
    point_iter(a);
    MODEL_EVENT(subreq_issued(a, false));
    MODEL_EVENT(subreq_terminated(a));
    a.len = 4096;  // ->prepare_write after the reconnect
    point_iter(a);
    MODEL_EVENT(subreq_issued(a, true));
    MODEL_EVENT(subreq_terminated(a));
    model::NetfsIoSubrequest& b = model::netfs_alloc_subrequest(wreq);
    b.start = next_start;
    b.len = 4096;
    stream.subrequests.push_back(&b);
    point_iter(b);
    MODEL_EVENT(subreq_issued(b, false));
  });
}

TEST(RequestStateChecker, an_inline_retry_cut_to_a_new_wsize_moves_the_issue_order_back) {
  const auto r = recut_then_next(4096);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

TEST(RequestStateChecker, fires_when_the_next_subrequest_starts_inside_the_recut_one) {
  const auto r = recut_then_next(2048);
  ASSERT_EQ(checker_of(r), "request-state") << message_of(r);
  EXPECT_NE(message_of(r).find("that ends at 4096, above its start (N1: issue order)"), std::string::npos)
      << message_of(r);
}

// --- folio-state: the copy-to-cache mark ------------------------------------------------

// A folio of a file with or (planted) without a cache marked copy-to-cache.
sim::RunResult mark_copy_to_cache(bool cache) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file({.cache = cache});
    s.spawn("reader", [&] {
      model::Folio* folio = model::filemap_alloc_and_add_folio(inode.mapping, 0, 0);
      model::folio_attach_private(*folio, {model::FolioPrivate::Kind::copy_to_cache, nullptr, nullptr});
      model::folio_detach_private(*folio);
      model::filemap_remove_folio(*folio);
      model::folio_unlock(*folio);
      model::folio_put(*folio);
    });
    s.run();
  });
}

TEST(FolioStateChecker, fires_on_a_copy_to_cache_mark_on_a_file_without_a_cache) {
  const auto r = mark_copy_to_cache(/*cache=*/false);
  ASSERT_EQ(checker_of(r), "folio-state") << message_of(r);
  EXPECT_NE(message_of(r).find("marked copy-to-cache on file 0, which uses no cache"), std::string::npos)
      << message_of(r);
}

TEST(FolioStateChecker, stays_quiet_on_a_copy_to_cache_mark_where_the_cache_is_used) {
  const auto r = mark_copy_to_cache(/*cache=*/true);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// --- app-contract: an unbuffered write that transferred bytes does not return 0 -----------

// A synchronous O_DIRECT write of 8192 bytes, done as netfs_unbuffered_write_call
// does it, reporting what it transferred or (planted) 0.
sim::RunResult dio_write_reporting(bool zero) {
  return in_one_fiber("writer", [&](model::World& w, model::NetfsInode& inode) {
    model::NetfsFile f = w.open(inode);
    const std::vector<std::uint8_t> data(8192, 0x5c);
    MODEL_EVENT(write_begin(inode, 0, data.size(), true));
    model::Kiocb iocb{&f, 0, f.f_iocb_flags | model::IOCB_DIRECT, {}};
    const std::int64_t ret = model::netfs_unbuffered_write_iter(iocb, data);
    EXPECT_EQ(ret, 8192);
    MODEL_EVENT(write_returned(inode, 0, data, zero ? 0 : ret, true));
  });
}

TEST(AppContractChecker, fires_when_an_unbuffered_write_that_transferred_returns_0) {
  const auto r = dio_write_reporting(/*zero=*/true);
  ASSERT_EQ(checker_of(r), "app-contract") << message_of(r);
  EXPECT_NE(message_of(r).find("unbuffered write of 8192 bytes at 0 returned 0, but"), std::string::npos)
      << message_of(r);
}

TEST(AppContractChecker, stays_quiet_when_an_unbuffered_write_returns_what_it_transferred) {
  const auto r = dio_write_reporting(/*zero=*/false);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// --- app-contract: fallocate and copy_file_range results -------------------------------

// copy_file_range of the first page of a two-page file to its end, done by
// the model; then, planted, a result it did not return: `planted` (0: none),
// after a permanent failure of a write RPC of the file when `failed`.
sim::RunResult range_op_reporting(int planted, bool failed) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    w.preload(inode, std::vector<std::uint8_t>(8192, 0x6d));
    s.spawn("copier", [&] {
      model::NetfsFile f = w.open(inode);
      EXPECT_EQ(model::netfs_range_op(f, model::RangeOp::copy_range, 0, 4096, 8192, false), 0);
      if (failed) MODEL_EVENT(server_write_refused(0, 0, 4096, model::kEIO));
      if (planted != 0) MODEL_EVENT(range_op_returned(inode, model::RangeOp::copy_range, 0, 4096, planted));
    });
    s.run();
  });
}

TEST(AppContractChecker, fires_when_copy_file_range_returns_a_positive_value) {
  const auto r = range_op_reporting(1, /*failed=*/true);
  ASSERT_EQ(checker_of(r), "app-contract") << message_of(r);
  EXPECT_NE(message_of(r).find("copy_file_range of 0+4096 returned 1: it returns 0 or an error"), std::string::npos)
      << message_of(r);
}

TEST(AppContractChecker, fires_on_a_range_op_error_no_permanent_failure_justifies) {
  const auto r = range_op_reporting(model::kEIO, /*failed=*/false);
  ASSERT_EQ(checker_of(r), "app-contract") << message_of(r);
  EXPECT_NE(message_of(r).find("but no write RPC of the file ever failed for good"), std::string::npos)
      << message_of(r);
}

TEST(AppContractChecker, stays_quiet_on_a_whole_copy_and_on_a_justified_range_op_error) {
  EXPECT_EQ(checker_of(range_op_reporting(0, false)), "none");
  const auto r = range_op_reporting(model::kEIO, /*failed=*/true);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// --- app-contract: an asynchronous writethrough's completion -----------------------------

// An io_uring O_DSYNC write of 6000 bytes stored whole and written through
// by an offloaded request, completing with `ret`; its upload stream failed
// when `upload_failed`.
sim::RunResult async_writethrough_completing(std::int64_t ret, bool upload_failed) {
  return in_one_fiber("writer", [&](model::World& w, model::NetfsInode& inode) {
    const std::vector<std::uint8_t> data(6000, 0x3a);
    MODEL_EVENT(write_begin(inode, 100, data.size(), false));
    MODEL_EVENT(data_stored(inode, 100, data));
    inode.i_size = 6100;  // the copy extended the file
    model::NetfsIoRequest& wreq = model::netfs_alloc_request(inode, 100, 0, model::NetfsIoOrigin::writethrough);
    wreq.offload_collection = true;
    MODEL_EVENT(wreq_created(wreq));
    wreq.io_streams[0].failed = upload_failed;
    MODEL_EVENT(wreq_done(wreq));
    MODEL_EVENT(write_returned(inode, 100, data, ret, false));
  });
}

TEST(AppContractChecker, fires_when_an_async_writethrough_completes_short_of_what_it_stored) {
  const auto r = async_writethrough_completing(4096, /*upload_failed=*/false);
  ASSERT_EQ(checker_of(r), "app-contract") << message_of(r);
  EXPECT_NE(message_of(r).find("asynchronous writethrough of 6000 bytes at 100 completed with 4096, but the write "
                               "stored the first 6000 and its upload did not fail"),
            std::string::npos)
      << message_of(r);
}

TEST(AppContractChecker, stays_quiet_on_a_whole_async_writethrough_and_after_a_failed_upload) {
  EXPECT_EQ(checker_of(async_writethrough_completing(6000, false)), "none");
  const auto r = async_writethrough_completing(0, /*upload_failed=*/true);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// --- app-contract: sync_file_range's error -----------------------------------------------

// sync_file_range reporting -EIO, after a permanent failure of a write RPC
// of the file or not.
sim::RunResult sync_file_range_reporting(bool failed) {
  return in_one_fiber("app", [&](model::World&, model::NetfsInode& inode) {
    if (failed) MODEL_EVENT(server_write_refused(0, 0, 4096, model::kEIO));
    MODEL_EVENT(sync_file_range_returned(inode, model::kEIO));
  });
}

TEST(AppContractChecker, fires_on_a_sync_file_range_error_no_permanent_failure_justifies) {
  const auto r = sync_file_range_reporting(/*failed=*/false);
  ASSERT_EQ(checker_of(r), "app-contract") << message_of(r);
  EXPECT_NE(message_of(r).find("sync_file_range returned -5, but no write RPC of the file ever failed for good"),
            std::string::npos)
      << message_of(r);
}

TEST(AppContractChecker, stays_quiet_on_a_justified_sync_file_range_error) {
  const auto r = sync_file_range_reporting(/*failed=*/true);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// --- error-propagation: a permanent upload error fails the stream ------------------------

// A writeback request whose upload subrequest terminates with `error`; the
// request then completes with its upload stream failed or not.
sim::RunResult upload_error_then_done(int error, bool stream_failed) {
  return in_one_fiber("writeback", [&](model::World& w, model::NetfsInode& inode) {
    model::NetfsIoRequest& wreq = model::netfs_alloc_request(inode, 0, 4096, model::NetfsIoOrigin::writeback);
    MODEL_EVENT(wreq_created(wreq));
    model::NetfsIoSubrequest& sr = model::netfs_alloc_subrequest(wreq);
    sr.source = model::NetfsIoSource::upload_to_server;
    sr.len = 4096;
    sr.error = error;
    MODEL_EVENT(subreq_terminated(sr));
    wreq.io_streams[0].failed = stream_failed;
    MODEL_EVENT(wreq_done(wreq));
  });
}

TEST(ErrorPropagationChecker, fires_when_a_permanent_upload_error_leaves_the_stream_unfailed) {
  const auto r = upload_error_then_done(model::kEIO, /*stream_failed=*/false);
  ASSERT_EQ(checker_of(r), "error-propagation") << message_of(r);
  EXPECT_NE(message_of(r).find("an upload subrequest failed with -5, but the request completed with its upload "
                               "stream not failed"),
            std::string::npos)
      << message_of(r);
}

TEST(ErrorPropagationChecker, stays_quiet_when_the_stream_failed_or_the_error_was_eagain) {
  EXPECT_EQ(checker_of(upload_error_then_done(model::kEIO, true)), "none");
  const auto r = upload_error_then_done(model::kEAGAIN, false);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// --- refcount: the filesystem's references for a request --------------------------------

// A writeback request whose ->begin_writeback runs once, as netfs calls it
// (NETFS_RREQ_UPLOAD_TO_SERVER), or (planted) twice; the request is then
// freed, and ->free_request puts the one reference it knows of.
sim::RunResult begin_writeback_calls(int calls) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("writeback", [&] {
      model::NetfsIoRequest& wreq = model::netfs_alloc_request(inode, 0, 4096, model::NetfsIoOrigin::writeback);
      for (int i = 0; i < calls; ++i) inode.ops->begin_writeback(wreq);
      sim::set_bit(model::NETFS_RREQ_ALL_QUEUED, wreq.flags);  // nothing to write: done at once
      sim::clear_bit(model::NETFS_RREQ_IN_PROGRESS, wreq.flags);
      while (wreq.ref > 0) model::netfs_put_request(wreq);
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
}

TEST(RefcountChecker, fires_when_begin_writeback_runs_twice_for_one_request) {
  const auto r = begin_writeback_calls(2);
  ASSERT_EQ(checker_of(r), "refcount") << message_of(r);
  EXPECT_NE(message_of(r).find("1 references on the open file that ->begin_writeback took are not put"),
            std::string::npos)
      << message_of(r);
}

TEST(RefcountChecker, stays_quiet_when_begin_writeback_runs_once_per_request) {
  EXPECT_EQ(checker_of(begin_writeback_calls(1)), "none");
}

}  // namespace
}  // namespace wbsim
