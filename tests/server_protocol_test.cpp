// server-protocol (checkers/server_protocol.cpp): a client whose session
// charges credits charges every write RPC, retried ones too. Fires on a
// planted uncharged RPC and stays quiet on the same RPC charged, or from a
// client that negotiates no credits. A write subrequest's first issue fits
// the wsize the server negotiated, whatever the client; a retry may not.
// An RPC past the negotiated wsize, and one over bytes the client does not
// hold, fire too.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/mm/page_writeback.h"
#include "model/netfs/internal.h"
#include "tests/checked_run.h"

namespace wbsim {
namespace {

using test::checked::checker_of;
using test::checked::message_of;
using test::checked::run_checked;

// A write RPC for the first page of a file whose folio is under writeback,
// carrying `credits`, from a client that charges credits or (`afs_like`)
// negotiates none.
sim::RunResult rpc_with_credits(std::uint32_t credits, bool afs_like) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file({.use_credits = !afs_like});
    s.spawn("client", [&] {
      model::Folio* folio = model::filemap_alloc_and_add_folio(inode.mapping, 0, 0);
      model::folio_start_writeback(*folio);
      MODEL_EVENT(server_write_rpc(0, 0, 4096, credits, 65536, credits, 8));
      model::folio_end_writeback(*folio);
      model::folio_unlock(*folio);
    });
    s.run();
  });
}

TEST(ServerProtocolChecker, fires_on_an_uncharged_write_rpc_from_a_client_that_charges_credits) {
  const auto r = rpc_with_credits(0, /*afs_like=*/false);
  ASSERT_EQ(checker_of(r), "server-protocol") << message_of(r);
  EXPECT_NE(message_of(r).find("a write RPC of 4096 bytes at 0 carries no credit, but the client's session charges "
                               "credits"),
            std::string::npos)
      << message_of(r);
}

TEST(ServerProtocolChecker, stays_quiet_on_a_charged_rpc_and_on_an_uncharged_one_from_a_client_without_credits) {
  EXPECT_EQ(checker_of(rpc_with_credits(1, /*afs_like=*/false)), "none");
  EXPECT_EQ(checker_of(rpc_with_credits(0, /*afs_like=*/true)), "none");
}

// A charged write RPC of the first two pages, both under writeback, when
// the server's wsize is `wsize`.
sim::RunResult charged_rpc_of_8192_with_wsize(std::uint64_t wsize) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("client", [&] {
      model::Folio* a = model::filemap_alloc_and_add_folio(inode.mapping, 0, 0);
      model::Folio* b = model::filemap_alloc_and_add_folio(inode.mapping, 1, 0);
      model::folio_start_writeback(*a);
      model::folio_start_writeback(*b);
      MODEL_EVENT(server_write_rpc(0, 0, 8192, 1, wsize, 1, 8));
      for (model::Folio* f : {a, b}) {
        model::folio_end_writeback(*f);
        model::folio_unlock(*f);
      }
    });
    s.run();
  });
}

TEST(ServerProtocolChecker, fires_on_a_charged_write_rpc_past_the_negotiated_wsize) {
  const auto r = charged_rpc_of_8192_with_wsize(4096);
  ASSERT_EQ(checker_of(r), "server-protocol") << message_of(r);
  EXPECT_NE(message_of(r).find("a write RPC of 8192 bytes at 0 with 1 credit(s), but the negotiated wsize is 4096"),
            std::string::npos)
      << message_of(r);
}

TEST(ServerProtocolChecker, stays_quiet_on_a_charged_write_rpc_within_the_wsize) {
  EXPECT_EQ(checker_of(charged_rpc_of_8192_with_wsize(8192)), "none");
}

// An unbuffered write request of a client without credits (afs-like) on a
// server whose wsize is 8192, issuing a subrequest of `len` bytes, for the
// first time or as a retry.
sim::RunResult unbuffered_subreq_of(std::uint64_t len, bool retry) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.server = {.wsize = 8192}, .flusher = false});
    model::NetfsInode& inode = w.create_file({.use_credits = false});
    s.spawn("writer", [&] {
      model::NetfsIoRequest& wreq = model::netfs_alloc_request(inode, 0, len, model::NetfsIoOrigin::unbuffered_write);
      MODEL_EVENT(wreq_created(wreq));
      model::NetfsIoSubrequest& sr = model::netfs_alloc_subrequest(wreq);
      sr.source = model::NetfsIoSource::upload_to_server;
      sr.len = len;
      sr.io_iter_count = len;
      MODEL_EVENT(subreq_issued(sr, retry));
    });
    s.run();
  });
}

TEST(ServerProtocolChecker, fires_on_a_first_issue_larger_than_the_negotiated_wsize) {
  const auto r = unbuffered_subreq_of(16384, /*retry=*/false);
  ASSERT_EQ(checker_of(r), "server-protocol") << message_of(r);
  EXPECT_NE(message_of(r).find("issued for the first time with 16384 bytes, but the server negotiated a wsize of at "
                               "most 8192"),
            std::string::npos)
      << message_of(r);
}

TEST(ServerProtocolChecker, stays_quiet_on_a_first_issue_within_the_wsize_and_on_a_larger_retry) {
  EXPECT_EQ(checker_of(unbuffered_subreq_of(8192, /*retry=*/false)), "none");
  EXPECT_EQ(checker_of(unbuffered_subreq_of(16384, /*retry=*/true)), "none");
}

// --- the negotiated wsize and the bytes a client holds -------------------------------

// An O_DIRECT write of three wsizes to a cifs-like file (credits) or an
// afs-like one (no ->prepare_write: no wsize is negotiated per RPC).
sim::RunResult dio_write_three_wsizes(bool credits, std::vector<std::string> bugs) {
  return run_checked(
      [&](sim::Scheduler& s, checkers::Suite& suite) {
        model::World w({.server = {.wsize = 8192}});
        model::NetfsInode& inode = w.create_file({.prepare_write = credits});
        s.spawn("direct", [&] {
          model::NetfsFile f = w.open(inode, model::FMODE_READ | model::FMODE_WRITE, model::IOCB_DIRECT);
          model::netfs_file_write(f, 0, std::vector<std::uint8_t>(3 * 8192, 0x71), {});
        });
        s.run();
        suite.liveness_phase(s, w, 60 * sim::kSec);
      },
      std::move(bugs));
}

// Whatever the client, netfs bounds a first issue by wreq->wsize: the
// planted issuer's 24576 bytes are refused from an afs-like client too.
TEST(ServerProtocolChecker, fires_on_a_write_subrequest_issued_past_the_negotiated_wsize) {
  for (const bool credits : {true, false}) {
    const auto r = dio_write_three_wsizes(credits, {"planted-unbuffered-issue-past-wsize"});
    ASSERT_EQ(checker_of(r), "server-protocol") << message_of(r);
    EXPECT_NE(message_of(r).find("issued for the first time with 24576 bytes, but the server negotiated a wsize of "
                                 "at most 8192"),
              std::string::npos)
        << message_of(r);
  }
}

// A write RPC announced for 0..8191 of a file whose first folio is dirty
// and, if `under_writeback`, under writeback; the second page is held by no
// folio unless `both`.
sim::RunResult rpc_over(bool under_writeback, bool both) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("client", [&] {
      for (model::pgoff_t i = 0; i < (both ? 2u : 1u); ++i) {
        model::Folio* folio = model::filemap_alloc_and_add_folio(inode.mapping, i, 0);
        if (under_writeback) model::folio_start_writeback(*folio);
        MODEL_EVENT(server_write_rpc(0, 0, 8192, 0, 65536, 0, 8));
        if (under_writeback) model::folio_end_writeback(*folio);
        model::folio_unlock(*folio);
      }
    });
    s.run();
  });
}

TEST(ServerProtocolChecker, fires_on_a_write_rpc_over_bytes_the_client_does_not_hold) {
  auto r = rpc_over(/*under_writeback=*/false, /*both=*/true);
  ASSERT_EQ(checker_of(r), "server-protocol");
  EXPECT_NE(message_of(r).find("covers byte 0, which the client holds neither in a folio under writeback nor"),
            std::string::npos)
      << message_of(r);
  r = rpc_over(/*under_writeback=*/true, /*both=*/false);
  ASSERT_EQ(checker_of(r), "server-protocol");
  EXPECT_NE(message_of(r).find("covers byte 4096, which the client holds neither in a folio under writeback (no "
                               "folio there)"),
            std::string::npos)
      << message_of(r);
}

TEST(ServerProtocolChecker, stays_quiet_within_wsize_with_and_without_credits) {
  EXPECT_EQ(checker_of(dio_write_three_wsizes(true, {})), "none");
  EXPECT_EQ(checker_of(dio_write_three_wsizes(false, {})), "none");
}

}  // namespace
}  // namespace wbsim
