// The checks written for the engine mistakes no checker caught (the
// survivors of docs/checkers.md, "Mutation score"), each shown firing on a
// planted violation and staying quiet on the same run without it:
// request-state, mapped-access, server-protocol, write-group and
// folio-state here; data-integrity in tests/data_integrity_gaps_test.cpp;
// app-contract and error-propagation in tests/app_contract_gaps_test.cpp;
// refcount in tests/retry_refcount_gaps_test.cpp.
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
using test::checked::point_iter;
using test::checked::message_of;
using test::checked::run_checked;

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

// --- request-state: issue order after an unbuffered write's inline retry -----------------

// Points a subrequest's io_iter at what it has left to send, as the
// unbuffered issuer does from the request's iterator.

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

}  // namespace
}  // namespace wbsim
