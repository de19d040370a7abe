// Every kernel fsx log replayed through the engine prints the kernel's
// transcript byte for byte: with no faults, and under the swarm fault draw
// of seeds 1 to 50, all in one process (one ctest per log).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fsx/engine.h"
#include "sim/known_finding.h"
#include "fsx/ops.h"
#include "fsx/reference.h"

#include <fmt/format.h>

namespace wbsim {
namespace {

std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> log_names() {
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(WBSIM_FSX_DATA_DIR)) {
    if (e.path().extension() == ".fsxops") names.push_back(e.path().stem().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// The logs replay with F24's proposed fix (docs/findings.md): mainline's
// insert range keeps the cached folio holding the old EOF zeroed, and two
// logs would end on that pinned finding instead of being compared to their
// end (netfs/insert_range_cached_eof pins the finding itself).
constexpr fsx::EnginePolicy kPastF24{.insert_range_drops_to_eof = true};

class FsxEngine : public ::testing::TestWithParam<std::string> {};

TEST_P(FsxEngine, prints_the_kernel_transcript_without_faults_and_under_seeds_1_to_50) {
  const std::filesystem::path dir = WBSIM_FSX_DATA_DIR;
  const std::string name = GetParam();
  const std::string ops_file = (dir / (name + ".fsxops")).string();
  auto parsed = fsx::parse_ops(slurp(ops_file), ops_file);
  ASSERT_TRUE(std::holds_alternative<std::vector<fsx::Op>>(parsed)) << fsx::to_string(std::get<fsx::ParseError>(parsed));
  const auto& ops = std::get<std::vector<fsx::Op>>(parsed);
  const std::string expected = slurp(dir / (name + ".expected"));
  std::uint64_t pinned = 0;  // seeds that ended on a pinned finding's path
  for (std::uint64_t seed = 0; seed <= 50; ++seed) {
    const bool faults = seed > 0;  // seed 0: the run without faults (its seed is 1)
    const std::uint64_t s = faults ? seed : 1;
    const fsx::EngineRun run = fsx::run_engine(ops, s, faults, {}, kPastF24);
    const std::string reproduce =
        fmt::format("wbsim fsx {} --seed {} --faults {} --past-f24 --expected {}.expected", ops_file, s, faults ? "all" : "none",
                    (dir / name).string());
    // A failure explained by a pinned finding (mainline's own bug, taken
    // under faults; docs/findings.md) ends the replay early: no transcript
    // to compare. Any other failure fails the test.
    if (run.result.finding &&
        sim::explaining_finding(run.result.finding->checker, run.result.mark_hits) != nullptr) {
      ++pinned;
      std::printf("seed %llu reached a pinned finding: %s\n", static_cast<unsigned long long>(s),
                  run.result.finding->message.c_str());
      continue;
    }
    ASSERT_FALSE(run.result.finding.has_value())
        << run.result.finding->checker << ": " << run.result.finding->message << "\nreproduce: " << reproduce;
    std::string want, got;
    const std::size_t line = fsx::first_difference(expected, run.transcript, &want, &got);
    ASSERT_EQ(line, 0u) << "line " << line << "\n  expected: " << want << "\n  actual:   " << got
                        << "\nreproduce: " << reproduce;
  }
  RecordProperty("seeds_on_pinned_findings", static_cast<int>(pinned));
}

// A read wholly past zero_point fills the folio with zeros and copies
// nothing from the server: it once passed an empty vector's data() (null) to
// memcpy, which UBSan reports (the sanitizer build runs this test).
TEST(FsxEngineRegression, read_past_zero_point_after_truncate_up_copies_nothing_from_a_null_buffer) {
  const auto parsed = fsx::parse_ops("truncate 0x0 0x2000 0x0\nread 0x0 0x1000 0x2000\n", "inline");
  ASSERT_TRUE(std::holds_alternative<std::vector<fsx::Op>>(parsed));
  const auto& ops = std::get<std::vector<fsx::Op>>(parsed);
  const fsx::EngineRun run = fsx::run_engine(ops, 1, /*faults=*/false);
  ASSERT_FALSE(run.result.finding.has_value()) << run.result.finding->message;
  EXPECT_EQ(run.transcript, fsx::run_reference(ops));
  EXPECT_NE(run.transcript.find("read"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Logs, FsxEngine, ::testing::ValuesIn(log_names()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n) {
                             if (c == '-') c = '_';
                           }
                           return n;
                         });

// --- generated logs ------------------------------------------------------------------

// Operations over the same vocabulary as the kernel's logs, on a file of up
// to a few hundred KiB: offsets anywhere, a quarter of the range operations
// block-aligned (collapse and insert need it), close_open now and then.
rc::Gen<std::vector<fsx::Op>> gen_log() {
  return rc::gen::exec([] {
    const auto n = *rc::gen::inRange<std::size_t>(1, 40);
    std::vector<fsx::Op> ops;
    for (std::size_t i = 0; i < n; ++i) {
      fsx::Op op;
      op.kind = static_cast<fsx::OpKind>(*rc::gen::inRange(0, 11));
      const bool aligned = *rc::gen::inRange(0, 4) == 0;
      auto place = [&](std::uint64_t max) {
        const std::uint64_t v = *rc::gen::inRange<std::uint64_t>(0, max);
        return aligned ? v & ~std::uint64_t{4095} : v;
      };
      op.offset = place(300 * 1024);
      if (op.kind == fsx::OpKind::truncate) {
        op.offset = 0;
        op.length = place(300 * 1024);
      } else {
        op.length = aligned ? 4096 + place(60 * 1024) : 1 + place(64 * 1024);
      }
      if (op.kind == fsx::OpKind::copy_range) op.dest = place(300 * 1024);
      op.keep_size = (op.kind == fsx::OpKind::fallocate || op.kind == fsx::OpKind::zero_range) &&
                     *rc::gen::arbitrary<bool>();
      op.close_open = *rc::gen::inRange(0, 8) == 0;
      op.number = i + 1;
      op.line = static_cast<int>(i + 1);
      ops.push_back(op);
    }
    return ops;
  });
}

std::string as_log(const std::vector<fsx::Op>& ops) {
  std::string out;
  for (const fsx::Op& op : ops) out += fsx::format_op(op) + "\n";
  return out;
}

// The engine, under a random seed's fault draw, prints what the reference
// file prints for any log. A failing log is shrunk by RapidCheck and printed
// in the .fsxops format, ready for `wbsim fsx`.
RC_GTEST_PROP(FsxEngineProperty, generated_logs_match_the_reference_under_faults, ()) {
  std::vector<fsx::Op> ops = *gen_log();
  for (std::size_t i = 0; i < ops.size(); ++i) ops[i].number = i + 1;  // shrinking drops ops: renumber
  const auto seed = *rc::gen::inRange<std::uint64_t>(1, 1u << 30);
  const std::string want = fsx::run_reference(ops);
  const fsx::EngineRun run = fsx::run_engine(ops, seed, /*faults=*/true, {}, kPastF24);
  // A run that failed on a pinned finding's path (mainline's own bug,
  // docs/findings.md: F24 and F25 are cifs's range operations) has no
  // transcript to compare, as in the kernel logs' test above.
  if (run.result.finding &&
      sim::explaining_finding(run.result.finding->checker, run.result.mark_hits) != nullptr) {
    RC_TAG("reached a pinned finding");
    return;
  }
  if (run.result.finding) {
    RC_FAIL(fmt::format("{}: {}\nseed {} (--faults all --past-f24), log:\n{}", run.result.finding->checker, run.result.finding->message, seed,
                        as_log(ops)));
  }
  std::string e, a;
  const std::size_t line = fsx::first_difference(want, run.transcript, &e, &a);
  if (line != 0) {
    RC_FAIL(fmt::format("line {}\n  expected: {}\n  actual:   {}\nreproduce with --seed {} --faults all --past-f24 on this log:\n{}",
                        line, e, a, seed, as_log(ops)));
  }
}

}  // namespace
}  // namespace wbsim
