// app-contract (checkers/app_contract.cpp): an error that reaches the
// application carries the errno of the failure that justifies it, or -EIO
// (the AS_EIO bit stands for every error but -ENOSPC). Fires on a planted
// -ENOSPC after an -EIO failure, on an -EINTR (the model has no signals) and
// on a 0 from a write that stored nothing; quiet on the -EIO itself.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "model/errno.h"
#include "model/mm/iov_iter.h"
#include "tests/checked_run.h"

namespace wbsim {
namespace {

using test::checked::checker_of;
using test::checked::message_of;
using test::checked::run_checked;

// A write of 8192 bytes that stores nothing and returns `ret`, after the
// server refused an RPC of its range with -EIO.
sim::RunResult write_fails_with(std::int64_t ret) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w;
    model::NetfsInode& inode = w.create_file();
    s.spawn("writer", [&] {
      const std::vector<std::uint8_t> data(8192, 0x41);
      inode.i_size = 8192;
      MODEL_EVENT(write_begin(inode, 0, data.size(), false));
      MODEL_EVENT(server_write_refused(0, 0, data.size(), model::kEIO));
      MODEL_EVENT(write_returned(inode, 0, data, ret, false));
    });
    s.run();
  });
}

TEST(AppContractChecker, fires_on_an_error_whose_errno_no_failure_had) {
  const auto r = write_fails_with(model::kENOSPC);
  ASSERT_EQ(checker_of(r), "app-contract") << message_of(r);
  EXPECT_NE(message_of(r).find("returned -28, but no write RPC of the file failed for good with it"),
            std::string::npos)
      << message_of(r);
}

// The model has no signals: an -EINTR is no failure's, whatever failed.
TEST(AppContractChecker, fires_on_an_interruption_reaching_the_application) {
  const auto r = write_fails_with(model::kEINTR);
  ASSERT_EQ(checker_of(r), "app-contract") << message_of(r);
  EXPECT_NE(message_of(r).find("returned -4, an interruption, but the model has no signals"), std::string::npos)
      << message_of(r);
}

// Nothing stored is an error, not 0 (ki_complete's `wreq->error ?: written`).
TEST(AppContractChecker, fires_on_a_write_that_stored_nothing_returning_0) {
  const auto r = write_fails_with(0);
  ASSERT_EQ(checker_of(r), "app-contract") << message_of(r);
  EXPECT_NE(message_of(r).find("write of 8192 bytes at 0 returned 0: a write that stores nothing returns the error"),
            std::string::npos)
      << message_of(r);
}

TEST(AppContractChecker, stays_quiet_on_the_errno_of_the_failure) {
  EXPECT_EQ(checker_of(write_fails_with(model::kEIO)), "none");
}


// --- F21: -EFAULT for a valid buffer --------------------------------------------------------

// netfs_perform_write() of `len` bytes from one user page whose copy after
// fault-in always comes back empty (user.copy_short at every copy, the
// page taken between fault-in and copy). Mainline ends the write with
// -EFAULT (docs/findings.md F21); app-contract does not judge -EFAULT
// (every -EFAULT of the model is this path), the scenario does.
TEST(NetfsPerformWrite, a_copy_that_comes_back_empty_after_fault_in_ends_the_write_with_efault_F21) {
  std::int64_t ret = 0;
  const auto r = run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w;
    model::NetfsInode& inode = w.create_file();
    s.spawn("writer", [&] {
      model::NetfsFile f = w.open(inode);
      model::force_user_copy_faults(1);
      ret = model::netfs_file_write(f, 100, std::vector<std::uint8_t>(200, 0x42), {});
    });
    s.run();
  });
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
  EXPECT_EQ(ret, model::kEFAULT);
  EXPECT_EQ(test::mark_hits(r, "finding.netfs-write-efault-valid-buffer"), 1u);
}

}  // namespace
}  // namespace wbsim
