// server-protocol (checkers/server_protocol.cpp): a client whose session
// charges credits charges every write RPC, retried ones too. Fires on a
// planted uncharged RPC and stays quiet on the same RPC charged, or from a
// client that negotiates no credits. A write subrequest's first issue fits
// the wsize the server negotiated, whatever the client; a retry may not.
// (The other server-protocol checks are in tests/checkers_test.cpp.)
#include <gtest/gtest.h>

#include <cstdint>

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

}  // namespace
}  // namespace wbsim
