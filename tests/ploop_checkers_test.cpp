// The ploop checkers, each firing on a planted violation and quiet on the
// same run without it (the `--bug` switches are also swept by
// tests/cli_test.sh).
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
      fired = checker_or_none(r) == "ploop-cluster-lock";
    }
    EXPECT_EQ(fired, planted);
  }
}

TEST(PloopCheckers, data_before_ack_fires_when_a_data_pio_skips_its_bat_wait) {
  for (bool planted : {false, true}) {
    const auto r = run_ploop(16, workload, planted ? std::vector<std::string>{"ploop-ack-before-bat"} : std::vector<std::string>{});
    EXPECT_EQ(checker_or_none(r), planted ? "ploop-data-before-ack" : "none") << planted;
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
    EXPECT_EQ(checker_or_none(r), fua ? "ploop-crash-consistency" : "none") << fua << (r.finding ? r.finding->message : "");
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
    EXPECT_EQ(checker_or_none(r), planted ? "ploop-publish-before-ack" : "none") << planted;
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
    EXPECT_EQ(checker_or_none(r), planted ? "ploop-bat-holes" : "none") << planted;
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
    EXPECT_EQ(checker_or_none(r), planted ? "ploop-bat-holes" : "none") << planted;
    if (planted && r.finding) {
      EXPECT_NE(r.finding->message.find("inside the BAT"), std::string::npos) << r.finding->message;
    }
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
    fired = checker_or_none(r) == "ploop-flush";
  }
  EXPECT_TRUE(fired);
}

}  // namespace
}  // namespace wbsim
