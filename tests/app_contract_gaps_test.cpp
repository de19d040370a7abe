// The app-contract, error-propagation and refcount checks written for the
// engine mistakes no checker caught (docs/checkers.md, "Mutation score"),
// each shown firing on a planted violation and staying quiet on the same
// run without it. (The others are in tests/checkers_gaps_test.cpp.)
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

// --- app-contract: an io_uring direct write over cached pages ------------------------------

// io_uring tries a direct write with IOCB_NOWAIT first (on a file whose
// filesystem sets FMODE_NOWAIT) and, on -EAGAIN, punts it to a worker that
// may block: an -EAGAIN of the first attempt never reaches the
// application. Here the range is in the page cache (written and synced
// first), which is what sends the attempt through filemap_invalidate_inode().
// A file without FMODE_NOWAIT (afs, 9p, cifs) is punted at once.
sim::RunResult io_uring_write_over_cached_pages(bool fmode_nowait, std::int64_t& ret) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w;
    model::NetfsInode& inode = w.create_file({.fmode_nowait = fmode_nowait});
    s.spawn("app", [&] {
      model::NetfsFile f = w.open(inode);
      EXPECT_EQ((f.f_mode & model::FMODE_NOWAIT) != 0, fmode_nowait);
      model::netfs_file_write(f, 0, std::vector<std::uint8_t>(8192, 0x21), {});
      model::netfs_fsync(f);
      ret = model::netfs_unbuffered_write_iter(f, 0, std::vector<std::uint8_t>(8192, 0x22), /*aio=*/true);
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
}

TEST(AppContractChecker, an_io_uring_direct_write_over_cached_pages_returns_its_count) {
  std::int64_t ret = 0;
  const auto r = io_uring_write_over_cached_pages(/*fmode_nowait=*/true, ret);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
  EXPECT_EQ(ret, 8192);
  EXPECT_EQ(test::mark_hits(r, "netfs.dio_nowait_attempt"), 1u);
  // The NOWAIT attempt itself went on over the cache it invalidated: no
  // second, blocking attempt was needed.
  EXPECT_EQ(test::mark_hits(r, "netfs.dio_nowait_over_cache"), 1u);
}

TEST(AppContractChecker, an_io_uring_direct_write_to_a_file_without_fmode_nowait_is_punted_at_once) {
  std::int64_t ret = 0;
  const auto r = io_uring_write_over_cached_pages(/*fmode_nowait=*/false, ret);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
  EXPECT_EQ(ret, 8192);
  EXPECT_EQ(test::mark_hits(r, "netfs.dio_nowait_attempt"), 0u);
  EXPECT_EQ(test::mark_hits(r, "netfs.dio_nowait_over_cache"), 0u);
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
    MODEL_EVENT(dirty_balance(inode.mapping));  // as the engine's writes do
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
