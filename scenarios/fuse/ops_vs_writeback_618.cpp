// Why: the 6.18 FUSE client (iomap buffered writes into the writeback
//      cache, writeback held until the server replies, no temporary pages)
//      is otherwise driven only by fsx replays, one operation at a time.
//      Here its page cache is under background writeback and page
//      migration while the application writes, truncates, punches holes,
//      reads and fsyncs: mm/truncate.c meets folios under writeback,
//      migration moves dirty folios (and gives up on those under
//      writeback), and setattr launders what is dirty. The server reports 1 KiB blocks on three
//      seeds in four, which 6.18 ignores (i_blkbits stays PAGE_SHIFT);
//      `--bug fuse-iomap-subpage-blocks` takes them, as the client did
//      before "fuse: fix fuseblk i_blkbits for iomap partial writes": a
//      write then leaves a page partly up to date and fuse_read_folio reads
//      the whole page over the written blocks (data-integrity).
// How: one application fiber runs a drawn sequence of operations and keeps
//      a copy of what the file must hold; every read (one after half the
//      writes, as fsx does, and some on their own) must return it, and
//      after the final fsync the server's file must be it. The flusher
//      writes back from the first dirty page; a compactor fiber migrates
//      the mapping's folios every few hundred microseconds until the
//      application is done.
#include "model/mm/migrate.h"
#include "scenarios/fuse_support.h"

namespace wbsim::scenarios {

namespace {

// What a write of `data` at `pos` makes of the file's contents.
void apply_write(std::vector<std::uint8_t>& file, model::loff_t pos, const std::vector<std::uint8_t>& data) {
  const auto end = static_cast<std::size_t>(pos) + data.size();
  if (file.size() < end) file.resize(end, 0);
  std::copy(data.begin(), data.end(), file.begin() + pos);
}

}  // namespace

WBSIM_SCENARIO(fuse_ops_vs_writeback_618, "fuse/ops_vs_writeback_618", .pct_steps_hint = 3000,
               .why = "the 6.18 FUSE client's reads and final file match its writes, truncates and hole punches "
                      "under background writeback and page migration",
               .params = {{"ops", 12, 1, 64, "operations of the application before its final fsync"}}) {
  model::World w({.background_thresh_pages = 1, .dirty_thresh_pages = 64});
  model::FuseConn fc(w, {.client = model::FuseClient::v6_18,
                         .server_threads = 1 + sim::draw(2),
                         .max_pages = 256,
                         .writeback_cache = true,
                         .blkbits = sim::draw(4) == 0 ? 12u : 10u});
  model::FuseInode& fi = fc.create_inode_618();
  std::vector<std::uint8_t> want;
  bool done = false;
  // Every read returns what the file must hold.
  auto read_back = [&](model::FuseFile& f, std::uint32_t i) {
    std::vector<std::uint8_t> got;
    model::fuse_file_read_iter(f, 0, want.size() + 4096, &got);
    SIM_CHECK("data-integrity", got == want, "a read after op {} returned {} bytes that differ from the {} written", i,
              got.size(), want.size());
  };
  s.spawn("app", [&] {
    model::FuseFile f;
    SIM_ASSERT_CMP(model::fuse_create_open(fc, fi, &f), ==, 0);
    for (std::uint32_t i = 0; s.more("ops", i); ++i) {
      switch (sim::draw(6)) {
        case 0:
        case 1: {
          const auto pos = static_cast<model::loff_t>(sim::draw(6 * 4096));
          auto data = pattern(70 + i, 1 + sim::draw(3 * 4096));
          const std::int64_t n = model::fuse_file_write_iter(f, pos, data);
          SIM_CHECK("app-contract", n == static_cast<std::int64_t>(data.size()), "a write of {} bytes at {} returned {}",
                    data.size(), pos, n);
          apply_write(want, pos, data);
          if (sim::draw(2) == 0) read_back(f, i);  // fsx's read after write
          break;
        }
        case 2: {
          const auto size = static_cast<model::loff_t>(sim::draw(8 * 4096));
          SIM_CHECK("app-contract", model::fuse_ftruncate(f, size) == 0, "ftruncate to {} failed", size);
          want.resize(static_cast<std::size_t>(size), 0);
          break;
        }
        case 3: {
          // Either end may land on a page edge: a hole whose last byte is
          // the next folio's first is cut from two partial folios.
          const std::uint64_t hole_start = near_page_edge(sim::draw(6 * 4096));
          const std::uint64_t hole_end = near_page_edge(hole_start + 1 + sim::draw(2 * 4096), hole_start + 1);
          const auto off = static_cast<model::loff_t>(hole_start);
          const auto len = static_cast<model::loff_t>(hole_end - hole_start);
          if (model::fuse_file_fallocate(f, model::FALLOC_FL_PUNCH_HOLE | model::FALLOC_FL_KEEP_SIZE, off, len) != 0) break;
          const auto from = std::min(static_cast<std::size_t>(off), want.size());
          const auto to = std::min(static_cast<std::size_t>(off + len), want.size());
          std::fill(want.begin() + from, want.begin() + to, 0);
          break;
        }
        case 4:
          SIM_CHECK("app-contract", model::fuse_fsync(f, 0, INT64_MAX, sim::draw(2) == 0) == 0, "fsync failed");
          break;
        default:
          read_back(f, i);
      }
    }
    SIM_CHECK("app-contract", model::fuse_fsync(f, 0, INT64_MAX, false) == 0, "the final fsync failed");
    SIM_CHECK("data-integrity", fi.server_data == want,
              "the FUSE server holds {} bytes after the final fsync, the application made {} (or they differ)",
              fi.server_data.size(), want.size());
    model::fuse_close(f);
    done = true;
  });
  s.spawn("compactor", [&] {
    while (!done) {
      sim::sleep(static_cast<sim::Time>(1 + sim::draw(500)) * sim::kUs);
      model::migrate_mapping(fi.mapping, sim::draw(2) == 0 ? model::MigrateMode::sync : model::MigrateMode::sync_light);
    }
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
