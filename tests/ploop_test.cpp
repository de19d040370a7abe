// model/ploop: the image file's durability, the image format, and the
// device's defining behaviours (allocation, discard, ENOSPC, grow, COW,
// the driver's own arithmetic and failure paths).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "model/ploop/internal.h"
#include "ploop_test_util.h"

namespace wbsim {
namespace {

using model::kSectorSize;
using test::BlkStatus;
using test::checker_or_none;
using test::fill;
using test::PioOp;
using test::PloopBio;
using test::read;
using test::run_ploop;
using test::workload;
using test::write;

TEST(PloopImageFile, a_write_is_durable_only_after_an_fsync_that_began_after_it_completed) {
  const auto r = sim::run_simulation(test::make_config(1), false, [&](sim::Scheduler& s) {
    model::ImageFile f({}, fill(0, 8192));
    s.spawn("io", [&] {
      sim::Completion done("w");
      f.write_async(0, fill(7, 512), /*dsync=*/false, [&](long r) {
        EXPECT_EQ(r, 512);
        done.complete();
      });
      done.wait();
      EXPECT_EQ(f.data()[0], 7);
      EXPECT_EQ(f.volatile_ops(), 1u);
      // A power cut may or may not keep it.
      EXPECT_EQ(f.crash_image([](std::size_t) { return false; }, [](std::size_t, std::size_t) { return true; })[0], 0);
      EXPECT_EQ(f.crash_image([](std::size_t) { return true; }, [](std::size_t, std::size_t) { return true; })[0], 7);
      EXPECT_EQ(f.fsync(), 0);
      EXPECT_EQ(f.volatile_ops(), 0u);
      EXPECT_EQ(f.crash_image([](std::size_t) { return false; }, [](std::size_t, std::size_t) { return true; })[0], 7);
      // A dsync write is durable at its completion.
      sim::Completion done2("w2");
      f.write_async(512, fill(9, 1024), /*dsync=*/true, [&](long) { done2.complete(); });
      done2.wait();
      EXPECT_EQ(f.volatile_ops(), 0u);
      // Torn: only the second sector of a kept write.
      f.write_async(0, fill(5, 1024), false, [&](long) {});
      sim::sleep(10 * sim::kMs);
      const auto torn = f.crash_image([](std::size_t) { return true; }, [](std::size_t, std::size_t sec) { return sec == 1; });
      EXPECT_EQ(torn[0], 7);
      EXPECT_EQ(torn[512], 5);
    });
    s.run();
  }, "");
  EXPECT_FALSE(r.finding) << r.finding->message;
}

TEST(PloopImage, a_fresh_image_opens_and_a_bad_bat_entry_does_not) {
  auto image = model::ploop_format_image(3, 64);
  auto v = model::ploop_open_image(image, 3);
  ASSERT_EQ(v.error, 0) << v.why;
  EXPECT_EQ(v.nr_bat_entries, 64u);
  EXPECT_EQ(v.bat[5], model::kBatEntryNone);
  const std::uint32_t past = 100;  // past the file's clusters
  std::memcpy(image.data() + (model::kPloopMapOffset + 5) * 4, &past, 4);
  EXPECT_EQ(model::ploop_open_image(image, 3).error, -71);  // -EPROTO
  const std::uint32_t bat = 0 + 0;  // 0 is "unmapped" on disk: fine
  std::memcpy(image.data() + (model::kPloopMapOffset + 5) * 4, &bat, 4);
  EXPECT_EQ(model::ploop_open_image(image, 3).error, 0);
}

TEST(Ploop, an_allocating_write_completes_after_its_bat_is_written_and_flushed_and_reads_back) {
  std::vector<std::uint8_t> got, hole;
  const auto r = run_ploop(64, [&](sim::Scheduler& s, model::Ploop& dev) {
    s.spawn("app", [&] {
      EXPECT_EQ(write(dev, 7, fill(0x42, dev.clu_size())), BlkStatus::ok);
      EXPECT_NE(model::ploop_bat_entry(dev, 7), model::kBatEntryNone);
      got = read(dev, 7);
      hole = read(dev, 8);
      // The mapping is durable already: the image on disk maps cluster 7.
      const auto v = model::ploop_open_image(
          dev.file->crash_image([](std::size_t) { return false; }, [](std::size_t, std::size_t) { return true; }), 3);
      ASSERT_EQ(v.error, 0) << v.why;
      EXPECT_EQ(v.bat[7], model::ploop_bat_entry(dev, 7));
    });
  });
  EXPECT_EQ(checker_or_none(r), "none") << (r.finding ? r.finding->message : "");
  EXPECT_EQ(got, fill(0x42, 4096));
  EXPECT_EQ(hole, fill(0, 4096));
}

TEST(Ploop, a_discard_unmaps_the_cluster_and_frees_its_file_cluster) {
  std::uint32_t before = 0;
  const auto r = run_ploop(16, [&](sim::Scheduler& s, model::Ploop& dev) {
    s.spawn("app", [&] {
      write(dev, 2, fill(0x11, dev.clu_size()));
      before = model::ploop_bat_entry(dev, 2);
      EXPECT_EQ(model::ploop_submit_bio_wait(
                    dev, PloopBio{.op = PioOp::discard, .pos = 2 * dev.clu_size(), .len = dev.clu_size()}),
                BlkStatus::ok);
      EXPECT_EQ(model::ploop_bat_entry(dev, 2), model::kBatEntryNone);
      EXPECT_TRUE(dev.holes_bitmap[before]);
      EXPECT_EQ(read(dev, 2), fill(0, 4096));
    });
  });
  EXPECT_EQ(checker_or_none(r), "none") << (r.finding ? r.finding->message : "");
  EXPECT_NE(before, 0u);
}

TEST(Ploop, an_enospc_write_is_parked_and_completes_once_space_is_freed) {
  BlkStatus st = BlkStatus::ioerr;
  sim::Time done_at = 0;
  const auto r = run_ploop(16, [&](sim::Scheduler& s, model::Ploop& dev) {
    dev.file->set_capacity(dev.file->size() / 4096);  // no room for data
    s.spawn("app", [&] {
      st = write(dev, 3, fill(0x33, dev.clu_size()));
      done_at = sim::now();
    });
    s.spawn("admin", [&] {
      sim::sleep(30 * sim::kSec);
      dev.file->set_capacity(0);
    });
  });
  EXPECT_EQ(checker_or_none(r), "none") << (r.finding ? r.finding->message : "");
  EXPECT_EQ(st, BlkStatus::ok);
  EXPECT_GE(done_at, 30 * sim::kSec);  // resubmitted by the timer after the space came back
}

TEST(Ploop, a_grow_moves_the_clusters_the_new_bat_needs_and_the_image_reopens_grown) {
  std::uint32_t before = 0, after = 0;
  std::vector<std::uint8_t> got, past_old_end;
  model::PloopImageView v;
  const auto r = run_ploop(64, [&](sim::Scheduler& s, model::Ploop& dev) {
    s.spawn("app", [&] {
      write(dev, 5, fill(0x55, dev.clu_size()));
      before = model::ploop_bat_entry(dev, 5);            // file cluster 1, right after a one-cluster BAT
      EXPECT_EQ(model::ploop_resize(dev, 2100 * 8), 0);   // a BAT of three clusters
      EXPECT_EQ(model::ploop_resize(dev, 2000 * 8), -22);  // no online shrink
      after = model::ploop_bat_entry(dev, 5);
      got = read(dev, 5);
      write(dev, 2000, fill(0x20, dev.clu_size()));
      past_old_end = read(dev, 2000);
      v = model::ploop_open_image(
          dev.file->crash_image([](std::size_t) { return false; }, [](std::size_t, std::size_t) { return true; }), 3);
    });
  });
  EXPECT_EQ(checker_or_none(r), "none") << (r.finding ? r.finding->message : "");
  EXPECT_EQ(before, 1u);
  EXPECT_GE(after, 3u);
  EXPECT_EQ(got, fill(0x55, 4096));
  EXPECT_EQ(past_old_end, fill(0x20, 4096));
  ASSERT_EQ(v.error, 0) << v.why;
  EXPECT_EQ(v.nr_bat_entries, 2100u);
  EXPECT_EQ(v.bat[5], after);
}

// F23 (docs/ploop.md): the grow's zeroing of a new BAT cluster past the
// image's end is the one write that extends the file; done in part, it
// leaves a size of part clusters until the resubmitted rest lands.
TEST(Ploop, a_grow_whose_zeroing_write_past_the_end_is_done_in_part_leaves_part_clusters_until_the_rest_lands) {
  const auto everything = [](std::size_t) { return true; };
  const auto whole = [](std::size_t, std::size_t) { return true; };
  model::loff_t size_between = 0;
  model::PloopImageView between, after;
  const auto r = run_ploop(64, [&](sim::Scheduler& s, model::Ploop& dev) {
    EXPECT_EQ(dev.file->size(), 4096);  // the header and BAT: one cluster
    dev.file->short_next_write(3);      // the first zeroing write (file cluster 1)
    s.spawn("app", [&] {
      EXPECT_EQ(model::ploop_resize(dev, 2100 * 8), 0);  // a BAT of three clusters
      after = model::ploop_open_image(dev.file->crash_image(everything, whole), 3);
    });
    s.spawn("watch", [&] {
      for (int i = 0; i < 1000 && dev.file->size() % dev.clu_size() == 0; ++i) sim::sleep(10 * sim::kUs);
      size_between = dev.file->size();
      between = model::ploop_open_image(dev.file->crash_image(everything, whole), 3);
    });
  });
  EXPECT_EQ(checker_or_none(r), "none") << (r.finding ? r.finding->message : "");
  EXPECT_EQ(size_between, 4096 + 3 * 512);
  EXPECT_EQ(between.error, -71) << between.why;  // ploop_check_delta_length(): -EPROTO
  ASSERT_EQ(after.error, 0) << after.why;
  EXPECT_EQ(after.nr_bat_entries, 2100u);
}

// F23's second path: when the resubmitted rest of that zeroing write fails,
// the grow fails and rolls back in memory only; the file keeps its size of
// part clusters with no power cut, and the ctr refuses the image.
TEST(Ploop, a_grow_whose_zeroing_write_fails_after_a_partial_write_leaves_part_clusters_for_good) {
  int ret = 0;
  model::loff_t size_after = 0;
  model::PloopImageView durable;
  std::uint32_t entries_after = 0;
  const auto r = run_ploop(64, [&](sim::Scheduler& s, model::Ploop& dev) {
    dev.file->short_next_write(3, /*then_fail=*/true);  // the first zeroing write (file cluster 1), then its rest
    s.spawn("app", [&] {
      ret = model::ploop_resize(dev, 2100 * 8);
      size_after = dev.file->size();
      entries_after = dev.nr_bat_entries;
      // Everything written kept: the image a clean stop leaves.
      durable = model::ploop_open_image(
          dev.file->crash_image([](std::size_t) { return true; }, [](std::size_t, std::size_t) { return true; }), 3);
      dev.file->fsync();  // a persistence point: the crash-consistency checker opens that image
    });
  });
  EXPECT_EQ(ret, -5);                   // -EIO from ploop_write_zero_cluster_sync()
  EXPECT_EQ(entries_after, 64u);        // rolled back in memory
  EXPECT_EQ(size_after, 4096 + 3 * 512);  // and not in the file
  EXPECT_EQ(durable.error, -71) << durable.why;  // ploop_check_delta_length(): -EPROTO
  EXPECT_EQ(checker_or_none(r), "ploop-crash-consistency") << (r.finding ? r.finding->message : "");
}

TEST(Ploop, a_write_to_a_snapshot_cluster_copies_it_whole_into_the_top_delta) {
  std::vector<std::uint8_t> got, untouched;
  std::uint8_t level_before = 0, level_after = 0;
  std::vector<std::uint8_t> lower_after;
  const auto snapshot = model::ploop_make_image(3, 16, {{2, fill(0x22, 4096)}, {5, fill(0x55, 4096)}});
  const auto r = sim::run_simulation(test::make_config(1), false, [&](sim::Scheduler& s) {
    checkers::Suite suite;
    model::ObserverScope scope(suite.observers());
    model::World w;
    model::Ploop dev(w, {.nr_bat_entries = 16, .lower_images = {snapshot}});
    s.spawn("app", [&] {
      level_before = model::ploop_bat_level(dev, 2);
      EXPECT_EQ(model::ploop_submit_bio_wait(dev, PloopBio{.op = PioOp::write, .pos = 2 * 4096 + 512, .data = fill(0x77, 512)}),
                BlkStatus::ok);
      level_after = model::ploop_bat_level(dev, 2);
      got = read(dev, 2);
      untouched = read(dev, 5);
      lower_after = dev.lower_deltas[0]->data();
    });
    s.run();
    suite.liveness_phase(s, w, 300 * sim::kSec);
  }, "");
  EXPECT_EQ(checker_or_none(r), "none") << (r.finding ? r.finding->message : "");
  EXPECT_EQ(level_before, 0u);
  EXPECT_EQ(level_after, 1u);  // the top delta's
  std::vector<std::uint8_t> want = fill(0x22, 4096);
  std::fill(want.begin() + 512, want.begin() + 1024, 0x77);
  EXPECT_EQ(got, want);
  EXPECT_EQ(untouched, fill(0x55, 4096));
  EXPECT_EQ(lower_after, snapshot);  // the snapshot is only read
}

// F12 (docs/ploop.md): ploop_remap_to_cluster() shifts a u32, so with 1 MiB
// clusters a pio for file cluster 2^21 (2 TiB into the image) is sent to
// the image's first cluster, the header and BAT. Images here are far too
// small to get there; this shows the arithmetic the model keeps.
TEST(Ploop, remapping_to_a_cluster_two_tib_into_the_image_wraps_to_its_start) {
  std::uint64_t sector = 0, below = 0;
  sim::run_simulation(test::make_config(1), false, [&](sim::Scheduler&) {
    model::World w;
    model::Ploop dev(w, {.cluster_log = 11, .nr_bat_entries = 4});
    model::Pio& pio = model::ploop_alloc_pio(dev);
    model::ploop_init_pio(dev, PioOp::write, pio);
    pio.bi_sector = 5;  // sector 5 of device cluster 0
    model::ploop_remap_to_cluster(dev, pio, 1u << 21);
    sector = pio.bi_sector;
    pio.bi_sector = 5;
    model::ploop_remap_to_cluster(dev, pio, (1u << 21) - 1);
    below = pio.bi_sector;
  }, "");
  EXPECT_EQ(sector, 5u);  // not (2^21 << 11) + 5 = 2^32 + 5
  EXPECT_EQ(below, (std::uint64_t{(1u << 21) - 1} << 11) + 5);
}

// The driver at 9d144ac5 (ploop_advance_local_after_bat_wb(..., false)) sets
// the holes bitmap bit of the device cluster's number; the switch frees the
// file cluster the update allocated instead.
TEST(Ploop, a_failed_bat_update_frees_the_device_clusters_number_not_the_cluster_it_allocated) {
  for (bool evident_fix : {false, true}) {
    std::uint32_t dst = 0;
    bool bat_page_free = false, dst_free = false;
    BlkStatus st = BlkStatus::ok;
    const auto r = run_ploop(2048, [&](sim::Scheduler& s, model::Ploop& dev) {
      s.spawn("app", [&] {
        write(dev, 0, fill(0x30, dev.clu_size()));  // file cluster 3: the BAT is clusters 0-2
        dst = model::ploop_bat_entry(dev, 0) + 1;      // the next one, which device cluster 1 is given
        dev.file->fail_next_fsync(1);                   // the flush after its md page write
        st = write(dev, 1, fill(0x31, dev.clu_size()));
        bat_page_free = dev.holes_bitmap[1];
        dst_free = dev.holes_bitmap[dst];
      });
    }, evident_fix ? std::vector<std::string>{"ploop-failed-bat-frees-allocated"} : std::vector<std::string>{});
    EXPECT_EQ(st, BlkStatus::ioerr);
    EXPECT_EQ(dst, 4u);
    EXPECT_EQ(bat_page_free, !evident_fix) << "file cluster 1 holds md page 1";
    EXPECT_EQ(dst_free, evident_fix);
    // The driver leaks cluster 4 and frees a page of its own BAT.
    EXPECT_EQ(checker_or_none(r), evident_fix ? "none" : "ploop-bat-holes") << (r.finding ? r.finding->message : "");
  }
}

}  // namespace
}  // namespace wbsim
