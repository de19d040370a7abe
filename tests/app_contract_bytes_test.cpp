// app-contract (checkers/app_contract.cpp): a buffered write stores the
// caller's bytes, byte p of the file getting data[p - pos]. Fires on a
// planted copy that took its second page from the wrong place of the
// buffer (an iterator not reverted after a short copy); quiet on the copy
// of the caller's bytes.
#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <vector>

#include "tests/checked_run.h"

namespace wbsim {
namespace {

using test::checked::checker_of;
using test::checked::message_of;
using test::checked::run_checked;

// A buffered write of 8192 bytes at 4096 whose two page copies store the
// caller's bytes, or (`shifted`) the second one from 100 bytes further on.
sim::RunResult write_storing(bool shifted) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("writer", [&] {
      std::vector<std::uint8_t> data(8192 + 100);
      for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<std::uint8_t>(i * 7 + 1);
      const std::span<const std::uint8_t> caller = std::span(data).first(8192);
      MODEL_EVENT(write_begin(inode, 4096, caller.size(), false));
      MODEL_EVENT(data_stored(inode, 4096, caller.first(4096)));
      MODEL_EVENT(data_stored(inode, 8192, std::span<const std::uint8_t>(data).subspan(shifted ? 4196 : 4096, 4096)));
      MODEL_EVENT(dirty_balance(inode.mapping));  // as the engine's writes do
      inode.i_size = 4096 + 8192;
      MODEL_EVENT(write_returned(inode, 4096, caller, 8192, false));
    });
    s.run();
  });
}

TEST(AppContractChecker, fires_on_a_buffered_write_storing_bytes_from_the_wrong_place_of_its_buffer) {
  const auto r = write_storing(/*shifted=*/true);
  ASSERT_EQ(checker_of(r), "app-contract") << message_of(r);
  EXPECT_NE(message_of(r).find("buffered write of 8192 bytes at 4096 stored 0x"), std::string::npos) << message_of(r);
  EXPECT_NE(message_of(r).find(" at 8192, but the caller's byte there is 0x"), std::string::npos) << message_of(r);
}

TEST(AppContractChecker, stays_quiet_on_a_buffered_write_storing_the_callers_bytes) {
  const auto r = write_storing(/*shifted=*/false);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

}  // namespace
}  // namespace wbsim
