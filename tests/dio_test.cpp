// model/dio and its checkers: each dio checker shown firing on a planted
// violation and quiet on the same run without it, and the designs' defining
// behaviours (the zoo switches are swept by tests/cli_test.sh).
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "checkers/suite.h"
#include "model/dio/local.h"
#include "model/errno.h"
#include "model/events.h"
#include "model/world.h"
#include "sim_test_util.h"

namespace wbsim {
namespace {

using model::DioPolicy;
using model::kPageSize;

std::vector<std::uint8_t> fill(std::uint8_t v, std::size_t n) { return std::vector<std::uint8_t>(n, v); }

// A local file of 8 pages of 0x11 under `policy`, every checker installed,
// then the liveness phase.
sim::RunResult run_local(DioPolicy policy, const std::function<void(sim::Scheduler&, model::LocalFs&, model::LocalInode&)>& body) {
  return sim::run_simulation(test::make_config(1), /*faults=*/false,
                             [&](sim::Scheduler& s) {
                               checkers::Suite suite;
                               model::ObserverScope scope(suite.observers());
                               model::World w;
                               model::LocalFs fs(w);
                               model::LocalInode& inode = fs.create_file(fill(0x11, 8 * kPageSize), policy);
                               body(s, fs, inode);
                               s.run();
                               suite.liveness_phase(s, w, 120 * sim::kSec);
                             },
                             "");
}

std::string checker_of(const sim::RunResult& r) { return r.finding ? r.finding->checker : "none"; }

TEST(DioCheckers, ExclusionFiresOnABufferedOpInsideADio) {
  for (bool planted : {false, true}) {
    const auto r = run_local(DioPolicy::netfs, [&](sim::Scheduler& s, model::LocalFs& fs, model::LocalInode& inode) {
      s.spawn("direct", [&] {
        model::LocalFile f = fs.open(inode);
        model::local_dio_write(f, 0, fill(0x22, kPageSize), /*aio=*/false);
      });
      s.spawn("rogue", [&] {
        if (!planted) return;
        // A buffered op that skipped netfs_start_io_read while the DIO runs.
        sim::sleep(1 * sim::kUs);
        MODEL_EVENT(netfs_exclusion(inode.vfs, /*dio=*/false, /*enter=*/true));
        MODEL_EVENT(netfs_exclusion(inode.vfs, /*dio=*/false, /*enter=*/false));
      });
    });
    EXPECT_EQ(checker_of(r), planted ? "dio-exclusion" : "none") << planted;
  }
}

TEST(DioCheckers, DataIntegrityFiresOnALostByte) {
  for (bool scribble : {false, true}) {
    const auto r = run_local(DioPolicy::netfs, [&](sim::Scheduler& s, model::LocalFs& fs, model::LocalInode& inode) {
      s.spawn("io", [&] {
        model::LocalFile f = fs.open(inode);
        model::local_dio_write(f, kPageSize, fill(0x22, kPageSize), /*aio=*/true);
        if (scribble) inode.disk[kPageSize + 7] = 0x99;  // a device that lost a byte
        model::local_dio_read(f, 0, 4 * kPageSize, /*aio=*/false);
      });
    });
    EXPECT_EQ(checker_of(r), scribble ? "dio-data-integrity" : "none") << scribble;
  }
}

TEST(DioCheckers, FreshCacheFiresOnACleanPageTheDeviceDisagreesWith) {
  for (bool scribble : {false, true}) {
    const auto r = run_local(DioPolicy::pagecache_add_lock,
                             [&](sim::Scheduler& s, model::LocalFs& fs, model::LocalInode& inode) {
                               s.spawn("io", [&] {
                                 model::LocalFile f = fs.open(inode);
                                 model::local_buffered_read(f, 0, kPageSize);  // page 0 cached, clean
                                 if (scribble) inode.disk[5] = 0x99;
                               });
                             });
    EXPECT_EQ(checker_of(r), scribble ? "dio-fresh-cache" : "none") << scribble;
  }
}

// A DIO write over pages 2-3 sourced from a mapping of pages 3-4 of the same
// file, under each design.
sim::RunResult gup_same_file(DioPolicy policy, std::int64_t* ret) {
  return run_local(policy, [ret](sim::Scheduler& s, model::LocalFs& fs, model::LocalInode& inode) {
    s.spawn("direct", [&fs, &inode, ret] {
      model::LocalFile f = fs.open(inode);
      *ret = model::local_dio_write(f, 2 * kPageSize, fill(0, 2 * kPageSize), /*aio=*/false, 3 * kPageSize);
    });
  });
}

TEST(DioDesigns, GupOfTheSameMappingUnderEachDesign) {
  std::int64_t ret = 0;
  // bcachefs: the fault is refused, the DIO fails with -EDEADLK.
  EXPECT_EQ(checker_of(gup_same_file(DioPolicy::pagecache_add_lock, &ret)), "none");
  EXPECT_EQ(ret, model::kEDEADLK);
  // Lock entries: the gup fault meets the DIO's own entry at page 3.
  EXPECT_EQ(checker_of(gup_same_file(DioPolicy::lock_entries, &ret)), "dio-gup-self-deadlock");
  // dio-via-pagecache: nothing cached, so the DIO goes direct and its gup
  // fault waits for the i_dio_count it raised.
  EXPECT_EQ(checker_of(gup_same_file(DioPolicy::dio_via_pagecache, &ret)), "dio-gup-self-deadlock");
  // netfs: the fault re-adds page 3 inside the write's window (Kent's race).
  EXPECT_EQ(checker_of(gup_same_file(DioPolicy::netfs, &ret)), "dio-readd-window");
}

TEST(DioDesigns, DioViaPagecacheGoesThroughTheCacheWhenPagesAreCached) {
  std::int64_t ret = 0;
  const auto r = run_local(DioPolicy::dio_via_pagecache, [&](sim::Scheduler& s, model::LocalFs& fs, model::LocalInode& inode) {
    s.spawn("io", [&] {
      model::LocalFile f = fs.open(inode);
      model::local_buffered_read(f, 0, kPageSize);
      ret = model::local_dio_write(f, 0, fill(0x33, kPageSize), /*aio=*/false);
      // Written through the cache and back: the device has it, the page too.
      EXPECT_EQ(inode.disk[0], 0x33);
      EXPECT_EQ(model::local_buffered_read(f, 0, 1).at(0), 0x33);
    });
  });
  EXPECT_EQ(checker_of(r), "none");
  EXPECT_EQ(ret, static_cast<std::int64_t>(kPageSize));
}

TEST(DioDesigns, UnknownPolicyNamesAreRefused) {
  EXPECT_FALSE(model::parse_dio_policy("bogus"));
  for (DioPolicy p : model::kDioPolicies) EXPECT_EQ(model::parse_dio_policy(model::dio_policy_name(p)), p);
}

}  // namespace
}  // namespace wbsim
