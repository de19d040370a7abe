// The checkers that no zoo entry exercises, each shown firing on a planted
// violation and staying quiet on the same run without it. (Every zoo entry
// is such a pair too: tests/cli_test.sh sweeps each `wbsim bugs` line with
// and without its switch.)
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "checkers/suite.h"
#include "model/events.h"
#include "model/netfs/internal.h"
#include "model/netfs/netfs.h"
#include "model/world.h"
#include "sim_test_util.h"

namespace wbsim {
namespace {

using model::loff_t;

std::vector<std::uint8_t> bytes(std::uint8_t v, std::size_t n) { return std::vector<std::uint8_t>(n, v); }

// A run with every checker installed, as a scenario has.
sim::RunResult run_checked(const std::function<void(sim::Scheduler&, checkers::Suite&)>& body,
                           checkers::Options options = {}, std::uint64_t seed = 1,
                           std::vector<std::string> bugs = {}) {
  sim::SchedulerConfig config = test::make_config(seed);
  config.bugs = std::move(bugs);
  return sim::run_simulation(config, /*faults=*/false,
                             [&](sim::Scheduler& s) {
                               checkers::Suite suite(options);
                               model::ObserverScope scope(suite.observers());
                               body(s, suite);
                             },
                             "");
}

std::string checker_of(const sim::RunResult& r) { return r.finding ? r.finding->checker : "none"; }
std::string message_of(const sim::RunResult& r) { return r.finding ? r.finding->message : ""; }

// --- data-integrity ---------------------------------------------------------------

// Writes two pieces, fsyncs, optionally scribbles on the server's copy, and
// runs the liveness phase.
sim::RunResult write_sync_and(bool scribble, bool read_after) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w;
    model::NetfsInode& inode = w.create_file();
    s.spawn("writer", [&] {
      model::NetfsFile f = w.open(inode);
      model::netfs_file_write(f, 0, bytes(0x11, 6000), {});
      model::netfs_file_write(f, 6000, bytes(0x22, 3000), {});
      model::netfs_fsync(f);
      if (scribble) w.server().file(0).data[7000] = 0x99;  // a server that lost a byte
      if (read_after) {
        // Evict the cached copy so the read goes to the server.
        model::invalidate_inode_pages2_range(inode.mapping, 0, 8);
        model::netfs_file_read(f, 0, 9000);
      }
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
}

TEST(DataIntegrityChecker, fires_when_the_server_loses_a_synced_byte) {
  const auto r = write_sync_and(/*scribble=*/true, /*read_after=*/false);
  ASSERT_EQ(checker_of(r), "data-integrity");
  EXPECT_NE(message_of(r).find("server byte 7000 is 0x99, the application wrote 0x22"), std::string::npos)
      << message_of(r);
}

TEST(DataIntegrityChecker, fires_when_a_read_returns_what_was_not_written) {
  const auto r = write_sync_and(/*scribble=*/true, /*read_after=*/true);
  ASSERT_EQ(checker_of(r), "data-integrity");
  EXPECT_NE(message_of(r).find("read of 0+9000 returned 0x99 at byte 7000"), std::string::npos) << message_of(r);
}

TEST(DataIntegrityChecker, stays_quiet_on_the_same_run_without_the_loss) {
  const auto r = write_sync_and(/*scribble=*/false, /*read_after=*/true);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// --- app-contract ----------------------------------------------------------------------

// A buffered write and fsync whose first write RPC the server refuses with
// -EAGAIN (a reconnect) or -EIO; `bugs` may plant the collector recording
// the retried subrequest's error on the mapping. Returns the fsync's result
// through `fsync_ret`.
sim::RunResult buffered_write_refused_once(int error, std::vector<std::string> bugs, int* fsync_ret = nullptr) {
  return run_checked(
      [&](sim::Scheduler& s, checkers::Suite& suite) {
        model::World w;
        model::NetfsInode& inode = w.create_file();
        w.server().script_replies({{.error = error}});
        s.spawn("writer", [&] {
          model::NetfsFile f = w.open(inode);
          model::netfs_file_write(f, 0, bytes(0x31, 20000), {});
          const int ret = model::netfs_fsync(f);
          if (fsync_ret != nullptr) *fsync_ret = ret;
        });
        s.run();
        suite.liveness_phase(s, w, 60 * sim::kSec);
      },
      {}, 1, std::move(bugs));
}

TEST(AppContractChecker, fires_when_a_transient_error_reaches_the_mapping) {
  const auto r = buffered_write_refused_once(model::kEAGAIN, {"planted-retry-reports-transient-error"});
  ASSERT_EQ(checker_of(r), "app-contract") << message_of(r);
  EXPECT_NE(message_of(r).find("records -11 on the mapping"), std::string::npos) << message_of(r);
  EXPECT_NE(message_of(r).find("1 refused with -EAGAIN"), std::string::npos) << message_of(r);
}

TEST(AppContractChecker, stays_quiet_when_the_retry_absorbs_the_transient_error) {
  int ret = 1;
  const auto r = buffered_write_refused_once(model::kEAGAIN, {}, &ret);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
  EXPECT_EQ(ret, 0);
}

TEST(AppContractChecker, stays_quiet_when_a_permanent_failure_justifies_the_error) {
  int ret = 1;
  const auto r = buffered_write_refused_once(model::kEIO, {}, &ret);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
  EXPECT_EQ(ret, model::kEIO);
}

// The application-visible events of one write, announced as the model would:
// `stored` bytes of `len` copied, then `ret` returned; optionally after the
// server refused an RPC of the range for good.
sim::RunResult announced_write(std::uint64_t len, std::uint64_t stored, std::int64_t ret, bool refused) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w;
    model::NetfsInode& inode = w.create_file();
    s.spawn("writer", [&] {
      const auto data = bytes(0x41, len);
      inode.i_size = static_cast<loff_t>(len);  // as the write would have extended it (i-size stays quiet)
      MODEL_EVENT(write_begin(inode, 0, len, false));
      if (stored > 0) MODEL_EVENT(data_stored(inode, 0, std::span(data).first(stored)));
      MODEL_EVENT(dirty_balance(inode.mapping));  // as the engine's writes do
      if (refused) MODEL_EVENT(server_write_refused(0, 0, len, model::kEIO));
      MODEL_EVENT(write_returned(inode, 0, data, ret, false));
    });
    s.run();
  });
}

TEST(AppContractChecker, fires_when_a_write_returns_less_than_it_stored) {
  const auto r = announced_write(8192, 8192, 4096, false);
  ASSERT_EQ(checker_of(r), "app-contract");
  EXPECT_NE(message_of(r).find("returned 4096, but the write stored the first 8192"), std::string::npos)
      << message_of(r);
}

TEST(AppContractChecker, fires_when_a_write_that_stored_bytes_returns_an_error) {
  const auto r = announced_write(8192, 100, model::kEIO, true);
  ASSERT_EQ(checker_of(r), "app-contract");
  EXPECT_NE(message_of(r).find("an error only when it is empty"), std::string::npos) << message_of(r);
}

TEST(AppContractChecker, fires_on_a_write_error_no_permanent_failure_justifies) {
  const auto r = announced_write(8192, 0, model::kEIO, false);
  ASSERT_EQ(checker_of(r), "app-contract");
  EXPECT_NE(message_of(r).find("no write RPC of the file failed for good"), std::string::npos) << message_of(r);
}

TEST(AppContractChecker, stays_quiet_on_whole_writes_and_on_justified_errors) {
  EXPECT_EQ(checker_of(announced_write(8192, 8192, 8192, false)), "none");
  EXPECT_EQ(checker_of(announced_write(8192, 0, model::kEIO, true)), "none");
  EXPECT_EQ(checker_of(announced_write(8192, 0, model::kEFAULT, false)), "none");  // not about the data
}

// An O_DIRECT write of 2 wsizes: the server refuses RPC `failing` (0 or 1)
// for good. Refusing the second is mainline's shape (F13): the write
// returns the error although the first RPC was stored.
sim::RunResult dio_write_refused(int failing) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w({.server = {.wsize = 8192}});
    model::NetfsInode& inode = w.create_file();
    if (failing == 1) w.server().script_replies({model::RemoteServer::Reply{}});
    w.server().script_replies({{.error = model::kEIO}});
    s.spawn("direct", [&] {
      model::NetfsFile f = w.open(inode, model::FMODE_READ | model::FMODE_WRITE, model::IOCB_DIRECT);
      model::netfs_file_write(f, 0, bytes(0x51, 16384), {});
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
}

TEST(AppContractChecker, fires_when_an_unbuffered_write_returns_an_error_after_a_transfer) {
  const auto r = dio_write_refused(1);
  ASSERT_EQ(checker_of(r), "app-contract");
  EXPECT_NE(message_of(r).find("unbuffered write of 16384 bytes at 0 returned -5, but R="), std::string::npos)
      << message_of(r);
  EXPECT_NE(message_of(r).find("transferred the first 8192 bytes"), std::string::npos) << message_of(r);
}

TEST(AppContractChecker, stays_quiet_when_the_unbuffered_write_fails_before_any_transfer) {
  const auto r = dio_write_refused(0);
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
}

// The shadow forgets only what an error covers: a byte synced before an
// unrelated failure that the server then loses is still a finding.
sim::RunResult sync_then_fail_elsewhere(bool scribble) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite& suite) {
    model::World w;
    model::NetfsInode& inode = w.create_file();
    s.spawn("writer", [&] {
      model::NetfsFile f = w.open(inode);
      model::netfs_file_write(f, 0, bytes(0x61, 4096), {});
      model::netfs_fsync(f);
      w.server().script_replies({{.error = model::kEIO}});
      model::netfs_file_write(f, 65536, bytes(0x62, 4096), {});
      model::netfs_fsync(f);  // -EIO: covers 65536..69631 only
      if (scribble) w.server().file(0).data[100] = 0x99;
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
  });
}

TEST(Shadow, still_checks_bytes_an_error_does_not_cover) {
  const auto r = sync_then_fail_elsewhere(true);
  ASSERT_EQ(checker_of(r), "data-integrity") << message_of(r);
  EXPECT_NE(message_of(r).find("server byte 100 is 0x99"), std::string::npos) << message_of(r);
}

TEST(Shadow, forgets_the_bytes_the_error_covers) {
  EXPECT_EQ(checker_of(sync_then_fail_elsewhere(false)), "none");
}

// --- error-propagation ------------------------------------------------------------

// A request whose upload stream failed ends writeback on a folio; with or
// without the mapping having recorded the error first.
sim::RunResult failed_upload_ends_writeback(bool error_recorded) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("collector", [&] {
      model::NetfsIoRequest& wreq = model::netfs_create_write_req(inode.mapping, 0, model::NetfsIoOrigin::writeback);
      model::Folio* folio = model::filemap_alloc_and_add_folio(inode.mapping, 0, 0);
      wreq.io_streams[0].failed = true;
      wreq.io_streams[0].error = model::kEIO;
      MODEL_EVENT(server_write_refused(0, 0, 4096, model::kEIO));  // the failure (app-contract)
      if (error_recorded) model::mapping_set_error(inode.mapping, model::kEIO);
      MODEL_EVENT(folio_written_back(&wreq, *folio, -1));
      model::folio_unlock(*folio);
    });
    s.run();
  });
}

TEST(ErrorPropagationChecker, fires_when_writeback_ends_before_the_mapping_records_the_failure) {
  const auto r = failed_upload_ends_writeback(false);
  ASSERT_EQ(checker_of(r), "error-propagation");
  EXPECT_NE(message_of(r).find("no error recorded on the mapping"), std::string::npos) << message_of(r);
}

TEST(ErrorPropagationChecker, stays_quiet_once_the_error_is_recorded) {
  EXPECT_EQ(checker_of(failed_upload_ends_writeback(true)), "none");
}

// --- request-state: N1's issue order --------------------------------------------------

// One request's events as an issuer announces them: two subrequests of one
// stream appended in ascending order, then issued higher first or lower
// first. (The engine's issuer issues in order; this plants the mistake the
// check is for without a switch in it.)
sim::RunResult issue_two(bool higher_first) {
  return run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    s.spawn("issuer", [&] {
      model::NetfsInode inode;
      inode.ino = 1;
      model::NetfsIoRequest wreq;
      wreq.debug_id = 1;
      wreq.origin = model::NetfsIoOrigin::unbuffered_write;
      wreq.inode = &inode;
      wreq.mapping = &inode.mapping;
      MODEL_EVENT(wreq_created(wreq));
      model::NetfsIoStream& stream = wreq.io_streams[0];
      model::NetfsIoSubrequest lower{.rreq = &wreq, .debug_index = 1, .start = 0, .len = 4096,
                                     .io_iter_start = 0, .io_iter_count = 4096};
      model::NetfsIoSubrequest higher{.rreq = &wreq, .debug_index = 2, .start = 4096, .len = 4096,
                                      .io_iter_start = 4096, .io_iter_count = 4096};
      for (model::NetfsIoSubrequest* r : {&lower, &higher}) {
        stream.subrequests.push_back(r);
        MODEL_EVENT(subreq_added(wreq, stream, *r, false));
      }
      MODEL_EVENT(subreq_issued(higher_first ? higher : lower, false));
      MODEL_EVENT(subreq_issued(higher_first ? lower : higher, false));
    });
    s.run();
  });
}

TEST(RequestStateChecker, fires_when_a_stream_issues_a_higher_subrequest_before_a_lower_one) {
  const auto r = issue_two(/*higher_first=*/true);
  ASSERT_EQ(checker_of(r), "request-state");
  EXPECT_NE(message_of(r).find("(N1: issue order)"), std::string::npos) << message_of(r);
}

TEST(RequestStateChecker, stays_quiet_when_the_stream_issues_in_order) {
  EXPECT_EQ(checker_of(issue_two(/*higher_first=*/false)), "none");
}

// --- folio-state (a violation no zoo entry plants) ------------------------------------

TEST(FolioStateChecker, fires_when_a_folio_leaves_the_cache_under_writeback) {
  const auto r = run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file();
    s.spawn("truncater", [&] {
      model::Folio* folio = model::filemap_alloc_and_add_folio(inode.mapping, 0, 0);
      model::folio_start_writeback(*folio);
      model::filemap_remove_folio(*folio);  // under the folio lock, as truncate removes one
    });
    s.run();
  });
  ASSERT_EQ(checker_of(r), "folio-state");
  EXPECT_NE(message_of(r).find("removed from the page cache while under writeback"), std::string::npos)
      << message_of(r);
}

}  // namespace
}  // namespace wbsim
