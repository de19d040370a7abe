// Writeback keys (model/backend/rfs.cpp, as afs's fs/afs/write.c): the
// server refuses a write RPC under a key the file's ACL no longer holds;
// writeback rotates to the next writer's key through netfs's retry, and
// with none left afs_retry_request() fails the upload stream with no error
// (docs/findings.md F20): writeback never ends, or, if a later subrequest
// wakes the collector, ends with the data dropped and nothing recorded.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "model/mm/filemap.h"
#include "model/netfs/internal.h"
#include "tests/checked_run.h"

namespace wbsim {
namespace {

using test::checked::checker_of;
using test::checked::message_of;
using test::checked::run_checked;

std::vector<std::uint8_t> bytes(std::uint64_t len, std::uint8_t v) { return std::vector<std::uint8_t>(len, v); }

struct Outcome {
  sim::RunResult run;
  int fsync_ret = 1;
  std::vector<std::uint8_t> server;
};

// Writes 8 KiB as order-0 folios, takes keys 1..`revoked` out of the file's
// ACL and fsyncs. With `hold`, the folio at 16 KiB is dirtied too and held
// locked while the first two are written back, so the issuer is still
// issuing after the retry has run out of keys.
Outcome write_revoke_fsync(std::uint32_t writers, std::uint32_t revoked, bool hold = false) {
  Outcome out;
  out.run = run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.server = {.wsize = 4096}, .flusher = false});
    model::NetfsInode& inode = w.create_file({.prepare_write = false, .writers = writers});
    // Opened here, not in "app": the syncer's fsync may outlive app's fiber.
    model::NetfsFile f = w.open(inode);
    s.spawn("app", [&] {
      ASSERT_EQ(model::netfs_file_write(f, 0, bytes(8192, 0xab), {.max_folio_order = 0}), 8192);
      if (hold) ASSERT_EQ(model::netfs_file_write(f, 16384, bytes(100, 0xcd), {.max_folio_order = 0}), 100);
      for (std::uint32_t k = 1; k <= revoked; ++k) w.server().revoke_key(inode.ino, k);
      if (!hold) {
        out.fsync_ret = model::netfs_fsync(f);
      } else {
        model::Folio& held = *model::filemap_get_folio(inode.mapping, 4);
        model::folio_get(held);
        model::folio_lock(held);
        s.spawn("syncer", [&] { out.fsync_ret = model::netfs_fsync(f); });
        sim::sleep(20 * sim::kMs);
        model::folio_unlock(held);
        model::folio_put(held);
      }
      out.server = w.server().file(inode.ino).data;
    });
    s.run();
  });
  return out;
}

TEST(WritebackKeys, a_refused_key_is_rotated_to_the_next_writers_and_the_data_reaches_the_server) {
  const Outcome o = write_revoke_fsync(/*writers=*/2, /*revoked=*/1);
  EXPECT_EQ(checker_of(o.run), "none") << message_of(o.run);
  EXPECT_EQ(o.fsync_ret, 0);
  EXPECT_EQ(o.server, bytes(8192, 0xab));
  EXPECT_GE(test::mark_hits(o.run, "rfs.key_rotated"), 1u);
  EXPECT_EQ(test::mark_hits(o.run, "finding.afs-writeback-keys-exhausted"), 0u);
}

TEST(WritebackKeys, with_every_key_refused_the_stream_fails_silently_and_writeback_never_ends_F20) {
  // Mainline's behaviour, pinned: nothing is reissued and nothing in flight
  // wakes the collector again, so fsync waits for writeback forever.
  const Outcome o = write_revoke_fsync(/*writers=*/2, /*revoked=*/2);
  EXPECT_EQ(checker_of(o.run), "deadlock") << message_of(o.run);
  EXPECT_NE(message_of(o.run).find("wait_on_bit"), std::string::npos) << message_of(o.run);
  EXPECT_EQ(test::mark_hits(o.run, "finding.afs-writeback-keys-exhausted"), 1u);
  EXPECT_TRUE(o.server.empty() || o.server != bytes(8192, 0xab));
}

TEST(WritebackKeys, a_subrequest_issued_after_the_keys_ran_out_ends_writeback_with_no_error_F20) {
  // The issuer sends the held folio after the retry under no key; its
  // refusal wakes the collector, which cancels the failed stream: error-
  // propagation sees writeback end on folios whose upload failed, with no
  // error on the mapping.
  const Outcome o = write_revoke_fsync(/*writers=*/1, /*revoked=*/1, /*hold=*/true);
  EXPECT_EQ(checker_of(o.run), "error-propagation") << message_of(o.run);
  EXPECT_NE(message_of(o.run).find("no error recorded on the mapping"), std::string::npos) << message_of(o.run);
  EXPECT_EQ(test::mark_hits(o.run, "finding.afs-writeback-keys-exhausted"), 1u);
}

TEST(WritebackKeys, a_refusal_of_the_files_key_fails_an_unbuffered_write_which_has_no_key_record_to_rotate_from) {
  // An unbuffered write sends under the file's key and has no record to
  // rotate from (afs_init_request()): the refusal fails it, as it should.
  std::int64_t ret = 0;
  const sim::RunResult r = run_checked([&](sim::Scheduler& s, checkers::Suite&) {
    model::World w({.flusher = false});
    model::NetfsInode& inode = w.create_file({.writers = 2});
    s.spawn("app", [&] {
      model::NetfsFile f = w.open(inode);
      w.server().revoke_key(inode.ino, 1);
      ret = model::netfs_unbuffered_write_iter(f, 0, bytes(4096, 0x11), /*aio=*/false);
    });
    s.run();
  });
  EXPECT_EQ(checker_of(r), "none") << message_of(r);
  EXPECT_EQ(ret, model::kEACCES);
  EXPECT_EQ(test::mark_hits(r, "rfs.key_rotated"), 0u);
}

}  // namespace
}  // namespace wbsim
