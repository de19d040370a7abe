// The FUSE client of Linux 6.18 piece by piece: the WRITEs writeback and
// write-through send, large folios' per-block dirty state (the variant
// with folio orders above 0), truncate's laundering, the copy_file_range
// fallback, and the fsx replay under faults keeping every durable byte.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "checkers/suite.h"
#include "fsx/fuse_replay.h"
#include "fsx/ops.h"
#include "model/events.h"
#include "model/fuse/fuse.h"
#include "model/mm/migrate.h"
#include "model/world.h"
#include "sim_test_util.h"

#ifndef WBSIM_FSX_DATA_DIR
#error "WBSIM_FSX_DATA_DIR must name tests/data/fsx"
#endif

namespace wbsim {
namespace {

// Runs `body` on a fresh 6.18 file (created, open) and returns the view of
// the requests the server read.
std::vector<std::string> requests_of(model::FuseOptions options,
                                     const std::function<void(model::FuseFile&)>& body) {
  std::vector<std::string> view;
  const auto r = sim::run_simulation(test::make_config(1), /*faults=*/false, [&](sim::Scheduler& s) {
    checkers::Suite suite(checkers::Options{});
    model::ObserverScope scope(suite.observers());
    model::World w({.background_thresh_pages = 1u << 30, .dirty_thresh_pages = 1u << 30});
    options.client = model::FuseClient::v6_18;
    model::FuseConn fc(w, options);
    model::FuseInode& fi = fc.create_inode_618();
    s.spawn("app", [&] {
      model::FuseFile file;
      ASSERT_EQ(model::fuse_create_open(fc, fi, &file), 0);
      body(file);
      model::fuse_close(file);
    });
    s.run();
    suite.liveness_phase(s, w, 60 * sim::kSec);
    for (const auto& line : fc.request_log())
      if (fsx::fuse_line_in_view(line) && line.rfind("CREATE", 0) != 0 && line.rfind("FLUSH", 0) != 0 &&
          line.rfind("RELEASE", 0) != 0)
        view.push_back(line.substr(0, line.find(" h=")));
  }, "");
  EXPECT_FALSE(r.finding) << r.finding->checker << ": " << r.finding->message;
  return view;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::uint8_t> bytes(std::uint8_t v, std::size_t n) { return std::vector<std::uint8_t>(n, v); }

// Folios of four pages (the large-folio variant): each carries iomap's
// block state, whose dirty bits say what writeback sends. A rewrite of its
// second page only, then (or not) page migration of the folio: either way
// the WRITE is that page alone, as the state moves with the folio
// (filemap_migrate_folio moves folio->private).
std::vector<std::string> rewrite_one_block(bool migrate) {
  return requests_of({.max_pages = 256, .max_folio_order = 2}, [&](model::FuseFile& f) {
    model::fuse_file_write_iter(f, 0, bytes(1, 16384));
    ASSERT_EQ(model::fuse_fsync(f, 0, INT64_MAX, false), 0);
    model::fuse_file_write_iter(f, 4096, bytes(2, 4096));
    if (migrate) {
      model::Folio& folio = *model::filemap_get_folio(f.inode->mapping, 0);
      ASSERT_EQ(folio.order, 2u);
      model::folio_get(folio);  // the isolation reference
      ASSERT_EQ(model::migrate_folio(folio, model::MigrateMode::sync), 0);
      EXPECT_NE(model::filemap_get_folio(f.inode->mapping, 0), &folio);
      model::folio_put(folio);
    }
    ASSERT_EQ(model::fuse_fsync(f, 0, INT64_MAX, false), 0);
  });
}

TEST(Fuse618, a_migrated_folio_keeps_its_block_state) {
  const auto view = rewrite_one_block(/*migrate=*/true);
  EXPECT_EQ(view, rewrite_one_block(/*migrate=*/false));
  ASSERT_EQ(view.size(), 4u);
  EXPECT_EQ(view[2], "WRITE ino=2 off=4096 size=4096 end=8192 wflags=CACHE flags=0x0");
}

TEST(Fuse618, writeback_coalesces_contiguous_dirty_pages_and_crops_at_eof) {
  const auto view = requests_of({.max_pages = 256}, [](model::FuseFile& f) {
    model::fuse_file_write_iter(f, 100, bytes(1, 9000));  // pages 0..2, i_size 9100
    model::fuse_file_write_iter(f, 20000, bytes(2, 10));  // page 4 alone, i_size 20010
    ASSERT_EQ(model::fuse_fsync(f, 0, INT64_MAX, false), 0);
  });
  const std::vector<std::string> want = {
      "WRITE ino=2 off=0 size=12288 end=12288 wflags=CACHE flags=0x0",
      "WRITE ino=2 off=16384 size=3626 end=20010 wflags=CACHE flags=0x0",
      "FSYNC ino=2 datasync=0 pid=A -> ok",
  };
  EXPECT_EQ(view, want);
}

TEST(Fuse618, writeback_splits_at_max_pages) {
  const auto view = requests_of({.max_pages = 2}, [](model::FuseFile& f) {
    model::fuse_file_write_iter(f, 0, bytes(1, 5 * 4096));
    ASSERT_EQ(model::fuse_fsync(f, 0, INT64_MAX, true), 0);
  });
  ASSERT_EQ(view.size(), 4u);
  EXPECT_EQ(view[0], "WRITE ino=2 off=0 size=8192 end=8192 wflags=CACHE flags=0x0");
  EXPECT_EQ(view[1], "WRITE ino=2 off=8192 size=8192 end=16384 wflags=CACHE flags=0x0");
  EXPECT_EQ(view[2], "WRITE ino=2 off=16384 size=4096 end=20480 wflags=CACHE flags=0x0");
}

TEST(Fuse618, large_folio_writes_back_only_its_dirty_blocks) {
  // The later large-folio variant: a 16 KiB write makes one 16 KiB folio;
  // once it is clean, two small writes dirty its blocks 1 and 3 only.
  const auto view = requests_of({.max_pages = 256, .max_folio_order = 2}, [](model::FuseFile& f) {
    model::fuse_file_write_iter(f, 0, bytes(3, 16384));
    ASSERT_EQ(f.inode->mapping.folios.size(), 1u);
    EXPECT_EQ(f.inode->mapping.folios.begin()->second->order, 2u);
    ASSERT_EQ(model::fuse_fsync(f, 0, INT64_MAX, true), 0);
    model::fuse_file_write_iter(f, 5000, bytes(1, 100));
    model::fuse_file_write_iter(f, 13000, bytes(2, 100));
    ASSERT_EQ(model::fuse_fsync(f, 0, INT64_MAX, true), 0);
  });
  ASSERT_EQ(view.size(), 5u);
  EXPECT_EQ(view[0], "WRITE ino=2 off=0 size=16384 end=16384 wflags=CACHE flags=0x0");
  EXPECT_EQ(view[2], "WRITE ino=2 off=4096 size=4096 end=8192 wflags=CACHE flags=0x0");
  EXPECT_EQ(view[3], "WRITE ino=2 off=12288 size=4096 end=16384 wflags=CACHE flags=0x0");
}

TEST(Fuse618, write_through_splits_at_a_folio_left_not_uptodate) {
  const auto view = requests_of({.max_pages = 256, .writeback_cache = false}, [](model::FuseFile& f) {
    model::fuse_file_write_iter(f, 4000, bytes(1, 8292));  // 96 bytes of page 0, pages 1 and 2 whole
  });
  ASSERT_EQ(view.size(), 2u);
  EXPECT_EQ(view[0], "WRITE ino=2 off=4000 size=96 end=4096 wflags=0 flags=0x8002");
  EXPECT_EQ(view[1], "WRITE ino=2 off=4096 size=8196 end=12292 wflags=0 flags=0x8002");
}

TEST(Fuse618, truncate_launders_each_dirty_page_alone) {
  const auto view = requests_of({.max_pages = 256}, [](model::FuseFile& f) {
    model::fuse_file_write_iter(f, 0, bytes(1, 3 * 4096));
    ASSERT_EQ(model::fuse_ftruncate(f, 10000), 0);
  });
  const std::vector<std::string> want = {
      "SETATTR ino=2 valid=SIZE|MTIME|FH|LOCKOWNER|CTIME size=10000 pid=A -> 10000",
      "WRITE ino=2 off=0 size=4096 end=4096 wflags=CACHE flags=0x0",
      "WRITE ino=2 off=4096 size=4096 end=8192 wflags=CACHE flags=0x0",
      "WRITE ino=2 off=8192 size=1808 end=10000 wflags=CACHE flags=0x0",
  };
  EXPECT_EQ(view, want);
}

TEST(Fuse618, copy_file_range_64_is_tried_once_then_the_old_opcode) {
  const auto view = requests_of({.max_pages = 256}, [](model::FuseFile& f) {
    model::fuse_file_write_iter(f, 0, bytes(1, 100));
    EXPECT_EQ(model::fuse_copy_file_range(f, 0, f, 1000, 50), 50);
    EXPECT_EQ(model::fuse_copy_file_range(f, 0, f, 2000, 50), 50);
    EXPECT_EQ(model::fuse_file_fallocate(f, 0x08 /* COLLAPSE_RANGE */, 0, 4096), -95);
  });
  ASSERT_EQ(view.size(), 4u);
  EXPECT_EQ(view[0], "WRITE ino=2 off=0 size=100 end=100 wflags=CACHE flags=0x0");
  EXPECT_EQ(view[1],
            "COPY_FILE_RANGE_64 ino=2 off_in=0 ino_out=2 off_out=1000 len=50 flags=0 pid=A -> err=-38(ENOSYS by libfuse)");
  EXPECT_EQ(view[2], "COPY_FILE_RANGE ino=2 off_in=0 ino_out=2 off_out=1000 len=50 flags=0 pid=A -> 50");
  EXPECT_EQ(view[3], "COPY_FILE_RANGE ino=2 off_in=0 ino_out=2 off_out=2000 len=50 flags=0 pid=A -> 50");
}

TEST(Fuse618, replay_under_faults_makes_the_same_bytes_durable) {
  auto parsed = fsx::parse_ops(slurp(std::string(WBSIM_FSX_DATA_DIR) + "/small-s26.fsxops"), "small-s26");
  const auto& ops = std::get<std::vector<fsx::Op>>(parsed);
  for (const auto mode : {fsx::FuseMode::nowb, fsx::FuseMode::wb}) {
    const fsx::FuseRun plain = fsx::run_fuse(ops, mode, 1, false);
    ASSERT_FALSE(plain.result.finding);
    ASSERT_GT(plain.durable.size(), 50u);
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
      const fsx::FuseRun run = fsx::run_fuse(ops, mode, seed, true);
      ASSERT_FALSE(run.result.finding) << "seed " << seed << ": " << run.result.finding->message;
      EXPECT_EQ(run.durable, plain.durable) << "seed " << seed;
      EXPECT_EQ(run.transcript, plain.transcript) << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace wbsim
