// server-protocol (checkers/server_protocol.cpp): a client whose session
// charges credits charges every write RPC, retried ones too. Fires on a
// planted uncharged RPC and stays quiet on the same RPC charged, or from a
// client that negotiates no credits. (The other server-protocol checks are
// in tests/checkers_test.cpp.)
#include <gtest/gtest.h>

#include <cstdint>

#include "model/mm/page_writeback.h"
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

}  // namespace
}  // namespace wbsim
