// model/ploop and its checkers: the image file's durability, the image
// format, the device's defining behaviours, and each ploop checker firing
// on a planted violation and quiet on the same run without it (the
// `--bug` switches are also swept by tests/cli_test.sh).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "checkers/suite.h"
#include "model/events.h"
#include "model/ploop/internal.h"
#include "model/ploop/ploop.h"
#include "model/world.h"
#include "sim_test_util.h"

namespace wbsim {
namespace {

using model::BlkStatus;
using model::kSectorSize;
using model::PioOp;
using model::PloopBio;

std::vector<std::uint8_t> fill(std::uint8_t v, std::size_t n) { return std::vector<std::uint8_t>(n, v); }

// A device of `clusters` 4 KiB clusters, every checker installed, the body's
// fibers, then the liveness phase.
sim::RunResult run_ploop(std::uint32_t clusters, const std::function<void(sim::Scheduler&, model::Ploop&)>& body,
                         std::vector<std::string> bugs = {}, std::uint64_t seed = 1) {
  sim::SchedulerConfig config = test::make_config(seed);
  config.bugs = std::move(bugs);
  return sim::run_simulation(config, /*faults=*/false,
                             [&](sim::Scheduler& s) {
                               checkers::Suite suite;
                               model::ObserverScope scope(suite.observers());
                               model::World w;
                               model::Ploop dev(w, {.nr_bat_entries = clusters});
                               body(s, dev);
                               s.run();
                               suite.liveness_phase(s, w, 300 * sim::kSec);
                             },
                             "");
}

std::string checker_of(const sim::RunResult& r) { return r.finding ? r.finding->checker : "none"; }

BlkStatus write(model::Ploop& dev, std::uint32_t clu, std::vector<std::uint8_t> data, bool fua = false) {
  return model::ploop_submit_bio_wait(
      dev, PloopBio{.op = PioOp::write, .pos = static_cast<model::loff_t>(clu) * dev.clu_size(), .data = std::move(data), .fua = fua});
}

std::vector<std::uint8_t> read(model::Ploop& dev, std::uint32_t clu) {
  std::vector<std::uint8_t> out;
  EXPECT_EQ(model::ploop_submit_bio_wait(
                dev, PloopBio{.op = PioOp::read, .pos = static_cast<model::loff_t>(clu) * dev.clu_size(), .len = dev.clu_size()},
                &out),
            BlkStatus::ok);
  return out;
}

// --- the image file --------------------------------------------------------------

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

// --- the device ------------------------------------------------------------------

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
  EXPECT_EQ(checker_of(r), "none") << (r.finding ? r.finding->message : "");
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
  EXPECT_EQ(checker_of(r), "none") << (r.finding ? r.finding->message : "");
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
  EXPECT_EQ(checker_of(r), "none") << (r.finding ? r.finding->message : "");
  EXPECT_EQ(st, BlkStatus::ok);
  EXPECT_GE(done_at, 30 * sim::kSec);  // resubmitted by the timer after the space came back
}

// --- the checkers -----------------------------------------------------------------

// An allocating write, a FUA overwrite of it, a plain write to a new
// cluster; the checkers watch.
// An allocating write, an overwrite made durable by a flush, a partial
// allocating write.
void workload(sim::Scheduler& s, model::Ploop& dev) {
  s.spawn("app", [&] {
    write(dev, 1, fill(0x50, dev.clu_size()));
    write(dev, 1, fill(0x51, dev.clu_size()));
    model::ploop_submit_bio_wait(dev, PloopBio{.op = PioOp::flush});
    write(dev, 2, fill(0x52, 512));
  });
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
  EXPECT_EQ(checker_of(r), "none") << (r.finding ? r.finding->message : "");
  EXPECT_EQ(before, 1u);
  EXPECT_GE(after, 3u);
  EXPECT_EQ(got, fill(0x55, 4096));
  EXPECT_EQ(past_old_end, fill(0x20, 4096));
  ASSERT_EQ(v.error, 0) << v.why;
  EXPECT_EQ(v.nr_bat_entries, 2100u);
  EXPECT_EQ(v.bat[5], after);
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
  EXPECT_EQ(checker_of(r), "none") << (r.finding ? r.finding->message : "");
  EXPECT_EQ(level_before, 0u);
  EXPECT_EQ(level_after, 1u);  // the top delta's
  std::vector<std::uint8_t> want = fill(0x22, 4096);
  std::fill(want.begin() + 512, want.begin() + 1024, 0x77);
  EXPECT_EQ(got, want);
  EXPECT_EQ(untouched, fill(0x55, 4096));
  EXPECT_EQ(lower_after, snapshot);  // the snapshot is only read
}

// P7's COW half: a pio that ignores the lock a COW holds reads the snapshot's
// cluster while the copy is being made.
TEST(PloopCheckers, cluster_lock_fires_on_a_read_that_ignores_a_cows_lock) {
  for (bool planted : {false, true}) {
    bool fired = false;
    for (std::uint64_t seed = 1; seed <= 30 && !fired; ++seed) {
      sim::SchedulerConfig config = test::make_config(seed);
      if (planted) config.bugs = {"ploop-discard-no-lock"};
      const auto r = sim::run_simulation(config, false, [&](sim::Scheduler& s) {
        checkers::Suite suite;
        model::ObserverScope scope(suite.observers());
        model::World w;
        model::Ploop dev(w, {.nr_bat_entries = 16, .lower_images = {model::ploop_make_image(3, 16, {{2, fill(0x22, 4096)}})}});
        s.spawn("writer", [&] { write(dev, 2, fill(0x33, 512)); });
        s.spawn("reader", [&] { read(dev, 2); });
        s.run();
        suite.liveness_phase(s, w, 300 * sim::kSec);
      }, "");
      fired = checker_of(r) == "ploop-cluster-lock";
    }
    EXPECT_EQ(fired, planted);
  }
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

TEST(PloopCheckers, data_before_ack_fires_when_a_data_pio_skips_its_bat_wait) {
  for (bool planted : {false, true}) {
    const auto r = run_ploop(16, workload, planted ? std::vector<std::string>{"ploop-ack-before-bat"} : std::vector<std::string>{});
    EXPECT_EQ(checker_of(r), planted ? "ploop-data-before-ack" : "none") << planted;
  }
}

// The driver at 9d144ac5 drops REQ_FUA (the pinned finding): an overwrite
// acknowledged with FUA may be lost; the same overwrite followed by a
// flush may not.
TEST(PloopCheckers, crash_consistency_fires_when_a_fua_write_is_acknowledged_before_it_is_durable) {
  for (bool fua : {false, true}) {
    const auto r = run_ploop(16, [&](sim::Scheduler& s, model::Ploop& dev) {
      s.spawn("app", [&dev, fua] {
        write(dev, 1, fill(0x50, dev.clu_size()));
        model::ploop_submit_bio_wait(dev, PloopBio{.op = PioOp::flush});
        write(dev, 1, fill(0x51, dev.clu_size()), fua);
        if (!fua) model::ploop_submit_bio_wait(dev, PloopBio{.op = PioOp::flush});
      });
    });
    EXPECT_EQ(checker_of(r), fua ? "ploop-crash-consistency" : "none") << fua << (r.finding ? r.finding->message : "");
  }
}

TEST(PloopCheckers, publish_before_ack_fires_on_a_data_pio_ending_unmapped) {
  for (bool planted : {false, true}) {
    const auto r = run_ploop(16, [&](sim::Scheduler& s, model::Ploop& dev) {
      workload(s, dev);
      s.spawn("rogue", [&dev, planted] {
        if (!planted) return;
        // A data pio of an allocation that claims to end while cluster 9
        // is unmapped, its piwb written and flushed.
        static model::PloopIndexWb piwb;
        piwb.id = 999;
        static model::Pio pio;
        pio.is_data_alloc = true;
        pio.piwb = &piwb;
        pio.clu = 9;
        MODEL_EVENT(ploop_piwb_stage(dev, piwb, 1, BlkStatus::ok));
        MODEL_EVENT(ploop_piwb_stage(dev, piwb, 2, BlkStatus::ok));
        MODEL_EVENT(ploop_pio_end(dev, pio));
      });
    });
    EXPECT_EQ(checker_of(r), planted ? "ploop-publish-before-ack" : "none") << planted;
  }
}

TEST(PloopCheckers, bat_holes_fires_on_a_mapped_cluster_marked_free_at_rest) {
  for (bool planted : {false, true}) {
    const auto r = run_ploop(16, [&](sim::Scheduler& s, model::Ploop& dev) {
      s.spawn("app", [&dev, planted] {
        write(dev, 4, fill(0x44, dev.clu_size()));
        if (planted) dev.holes_bitmap[model::ploop_bat_entry(dev, 4)] = true;  // a lost allocation
      });
    });
    EXPECT_EQ(checker_of(r), planted ? "ploop-bat-holes" : "none") << planted;
  }
}

TEST(PloopCheckers, bat_holes_fires_on_a_bat_entry_inside_the_bat) {
  for (bool planted : {false, true}) {
    const auto r = run_ploop(16, [&](sim::Scheduler& s, model::Ploop& dev) {
      s.spawn("app", [&dev, planted] {
        write(dev, 4, fill(0x44, dev.clu_size()));
        if (planted) {
          dev.holes_bitmap[model::ploop_bat_entry(dev, 4)] = true;  // keep the planted entry the only fault
          dev.bat_entries.at(0)->page.at(model::kPloopMapOffset + 4) = 0;  // file cluster 0: the header and BAT
        }
      });
    });
    EXPECT_EQ(checker_of(r), planted ? "ploop-bat-holes" : "none") << planted;
    if (planted && r.finding) EXPECT_NE(r.finding->message.find("inside the BAT"), std::string::npos) << r.finding->message;
  }
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
    EXPECT_EQ(checker_of(r), evident_fix ? "none" : "ploop-bat-holes") << (r.finding ? r.finding->message : "");
  }
}

TEST(PloopCheckers, flush_fires_when_flush_pios_end_before_the_fsync) {
  // md-state, enospc and cluster-lock are shown by their switches, which
  // cli_contract sweeps (`wbsim bugs`); ploop-flush here as well.
  bool fired = false;
  for (std::uint64_t seed = 1; seed <= 20 && !fired; ++seed) {
    const auto r = run_ploop(16, [&](sim::Scheduler& s, model::Ploop& dev) {
      s.spawn("app", [&dev] {
        write(dev, 1, fill(0x61, 512));
        model::ploop_submit_bio_wait(dev, PloopBio{.op = PioOp::flush});
      });
    }, {"ploop-flush-before-fsync"}, seed);
    fired = checker_of(r) == "ploop-flush";
  }
  EXPECT_TRUE(fired);
}

}  // namespace
}  // namespace wbsim
