// The tutorial's last step (docs/scenarios.md prints this file): RapidCheck
// generates a scenario's workload, a list of writes, and shrinks a failing
// one; wbsim runs each list deterministically and its checkers judge it.
#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <cstdint>
#include <ostream>
#include <vector>

#include "scenarios/netfs_support.h"

namespace {

using namespace wbsim;

struct Write {
  std::uint32_t folio = 0;   // one of the file's four
  std::uint32_t offset = 0;  // in the folio
  std::uint32_t len = 1;     // at most to the folio's end
};

std::ostream& operator<<(std::ostream& os, const Write& w) {
  return os << "write(folio " << w.folio << ", +" << w.offset << ", " << w.len << " bytes)";
}

// The workload of the case being run (RapidCheck runs one case at a time).
thread_local std::vector<Write> t_writes;

WBSIM_SCENARIO(tutorial_generated_writes, "tutorial/generated_writes", .faults = false,
               .why = "the writes RapidCheck generated, then fsync") {
  model::World w;
  model::NetfsInode& inode = w.create_file();
  w.preload(inode, scenarios::pattern(7, 4 * 4096));  // on the server, not in the page cache
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode, model::FMODE_WRITE);
    std::uint32_t n = 0;
    for (const Write& wr : t_writes) {
      scenarios::write_all(f, static_cast<model::loff_t>(wr.folio * 4096 + wr.offset), scenarios::pattern(++n, wr.len),
                           {.max_folio_order = 0});
    }
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}

// A whole folio or a part of one: whole-folio writes are rare among
// uniform offsets and lengths, and they take their own path in the engine.
rc::Gen<Write> a_write() {
  const auto folio = rc::gen::inRange<std::uint32_t>(0, 4);
  return rc::gen::oneOf(rc::gen::map(folio, [](std::uint32_t f) { return Write{f, 0, 4096}; }),
                        rc::gen::apply(
                            [](std::uint32_t f, std::uint32_t offset, std::uint32_t len) {
                              return Write{f, offset, std::min(len, 4096 - offset)};
                            },
                            folio, rc::gen::inRange<std::uint32_t>(0, 4096), rc::gen::inRange<std::uint32_t>(1, 4097)));
}

// Checks "no checker fires" over generated lists of writes, from a fixed
// RapidCheck seed (a test must not depend on the time it ran); returns the
// shrunk counterexample, empty when the property held.
std::vector<Write> counterexample(const std::vector<std::string>& bugs) {
  std::vector<Write> last_failure;
  rc::detail::TestParams params;
  params.seed = 20261205;
  params.maxSuccess = 100;
  params.maxSize = 20;
  const auto result = rc::detail::checkTestable(
      [&] {
        t_writes = *rc::gen::container<std::vector<Write>>(a_write());
        scenarios::RunRequest req;
        req.seed = 1;
        req.bugs = bugs;
        const sim::RunResult r = scenarios::run_scenario(*scenarios::find_scenario("tutorial/generated_writes"), req);
        // Shrinking keeps every failing case it finds, so the last one is the result.
        if (r.finding) last_failure = t_writes;
        RC_ASSERT(!r.finding);
      },
      rc::detail::TestMetadata{"tutorial", "no checker fires"}, params);
  return result.template is<rc::detail::SuccessResult>() ? std::vector<Write>{} : last_failure;
}

TEST(Tutorial, generated_writes_pass_every_checker) { EXPECT_TRUE(counterexample({}).empty()); }

TEST(Tutorial, rapidcheck_shrinks_the_writes_that_expose_a_historical_bug) {
  const std::vector<Write> shrunk = counterexample({"netfs-streaming-write-overwritten"});
  // A partial write (a streaming record) and a whole folio over it.
  ASSERT_EQ(shrunk.size(), 2u);
  EXPECT_EQ(shrunk[0].folio, shrunk[1].folio);
  EXPECT_LT(shrunk[0].len, 4096u);
  EXPECT_EQ(shrunk[1].offset, 0u);
  EXPECT_EQ(shrunk[1].len, 4096u);
}

}  // namespace
