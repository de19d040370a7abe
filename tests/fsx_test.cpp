// The fsx log layer (fsx/): parsing .fsxops logs, printing transcripts, and
// the in-memory reference file, judged against transcripts the Linux kernel
// printed for the same logs (tests/data/fsx/*.expected).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include "fsx/ops.h"
#include "fsx/reference.h"
#include "fsx/transcript.h"

namespace wbsim::fsx_test {
namespace {

using namespace ::wbsim::fsx;
namespace fs = std::filesystem;

const fs::path kDataDir = WBSIM_FSX_DATA_DIR;

std::string slurp(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<Op> parse_ok(std::string_view text) {
  auto parsed = parse_ops(text, "t.fsxops");
  if (auto* err = std::get_if<ParseError>(&parsed)) {
    ADD_FAILURE() << to_string(*err);
    return {};
  }
  return std::get<std::vector<Op>>(parsed);
}

ParseError parse_error(std::string_view text) {
  auto parsed = parse_ops(text, "bad.fsxops");
  if (auto* err = std::get_if<ParseError>(&parsed)) return *err;
  ADD_FAILURE() << "parsed without error: " << text;
  return {};
}

std::vector<std::string> log_names() {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(kDataDir))
    if (entry.path().extension() == ".fsxops") names.push_back(entry.path().stem().string());
  std::sort(names.begin(), names.end());
  return names;
}

// --- the kernel's transcripts --------------------------------------------------

class FsxKernelTranscript : public testing::TestWithParam<std::string> {};

TEST_P(FsxKernelTranscript, reference_prints_the_kernel_transcript) {
  const fs::path log = kDataDir / (GetParam() + ".fsxops");
  const fs::path expected = kDataDir / (GetParam() + ".expected");
  ASSERT_TRUE(fs::exists(expected)) << expected;
  auto parsed = parse_ops(slurp(log), log.string());
  ASSERT_TRUE(std::holds_alternative<std::vector<Op>>(parsed))
      << to_string(std::get<ParseError>(parsed));
  const std::string got = run_reference(std::get<std::vector<Op>>(parsed));
  const std::string want = slurp(expected);
  if (got == want) return;
  // Report the first differing line rather than two whole transcripts.
  std::istringstream g(got), w(want);
  std::string gl, wl;
  for (int n = 1;; ++n) {
    const bool more_g = static_cast<bool>(std::getline(g, gl));
    const bool more_w = static_cast<bool>(std::getline(w, wl));
    if (!more_g && !more_w) break;
    if (gl != wl || more_g != more_w) {
      FAIL() << expected << ":" << n << "\n  expected: " << (more_w ? wl : "<end>")
             << "\n  reference: " << (more_g ? gl : "<end>");
    }
  }
  FAIL() << "transcripts differ only in their final newline";
}

INSTANTIATE_TEST_SUITE_P(FsxLogs, FsxKernelTranscript, testing::ValuesIn(log_names()),
                         [](const testing::TestParamInfo<std::string>& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(FsxKernelTranscripts, every_log_is_there) {
  // Guards the parameterized test against passing vacuously on a wrong path.
  EXPECT_GE(log_names().size(), 10u) << kDataDir;
}

TEST(FsxKernelTranscripts, formatted_logs_replay_the_same_ops) {
  for (const auto& name : log_names()) {
    const auto ops = parse_ok(slurp(kDataDir / (name + ".fsxops")));
    std::string text;
    for (const Op& op : ops) text += format_op(op) + "\n";
    auto again = parse_ok(text);
    ASSERT_EQ(again.size(), ops.size()) << name;
    for (std::size_t i = 0; i < ops.size(); ++i) {
      again[i].line = ops[i].line;  // the formatted log has no comments or skips
      EXPECT_EQ(again[i], ops[i]) << name << " op " << ops[i].number;
    }
  }
}

// --- parsing ----------------------------------------------------------------------

TEST(FsxParse, numbers_ops_skips_comments_and_blank_lines) {
  const auto ops = parse_ok(
      "# comment\n"
      "\n"
      "skip clone_range 0x0 0x0 0x15000 0x0\n"
      "write 0x10 0x20 0x0\r\n"
      "skip write_atomic 0x1 0x2 0x3 close_open\n"
      "   \t\n"
      "copy_range 16 010 0X40 0x30 keep_size close_open unshare *\n");
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].kind, OpKind::write);
  EXPECT_EQ(ops[0].number, 1u);
  EXPECT_EQ(ops[0].line, 4);
  EXPECT_EQ(ops[0].offset, 0x10u);
  EXPECT_EQ(ops[0].length, 0x20u);
  EXPECT_EQ(ops[0].size_before, 0u);
  EXPECT_FALSE(ops[0].keep_size);
  EXPECT_EQ(ops[1].kind, OpKind::copy_range);
  EXPECT_EQ(ops[1].number, 2u);
  EXPECT_EQ(ops[1].line, 7);
  EXPECT_EQ(ops[1].offset, 16u);
  EXPECT_EQ(ops[1].length, 8u);  // leading 0: octal, as strtoul base 0
  EXPECT_EQ(ops[1].dest, 0x40u);
  EXPECT_EQ(ops[1].size_before, 0x30u);
  EXPECT_TRUE(ops[1].keep_size);
  EXPECT_TRUE(ops[1].close_open);
}

TEST(FsxParse, every_op_name_parses) {
  const auto ops = parse_ok(
      "read 0 1 2\nmapread 0 1 2\nwrite 0 1 2\nmapwrite 0 1 2\ntruncate 0 1 2\n"
      "fallocate 0 1 2\npunch_hole 0 1 2\nzero_range 0 1 2\ncollapse_range 0 1 2\n"
      "insert_range 0 1 2\ncopy_range 0 1 2 3\n");
  ASSERT_EQ(ops.size(), 11u);
  for (const Op& op : ops) EXPECT_EQ(op.kind, static_cast<OpKind>(op.number - 1));
}

TEST(FsxParse, unknown_operation_names_the_op_and_line) {
  const auto err = parse_error("write 0x0 0x10 0x0\n# c\nclone_range 0x0 0x0 0x1000 0x0\n");
  EXPECT_EQ(err.file, "bad.fsxops");
  EXPECT_EQ(err.line, 3);
  EXPECT_EQ(err.reason, "unsupported operation 'clone_range'");
  EXPECT_EQ(to_string(err), "bad.fsxops:3: unsupported operation 'clone_range'");
}

TEST(FsxParse, too_few_arguments) {
  auto err = parse_error("read 0x0 0x10\n");
  EXPECT_EQ(err.line, 1);
  EXPECT_EQ(err.reason, "'read' needs 3 arguments, got 2");
  err = parse_error("\ncopy_range 0x0 0x10 0x20 keep_size\n");
  EXPECT_EQ(err.line, 2);
  EXPECT_EQ(err.reason, "'copy_range' needs 4 arguments, got 3");
}

TEST(FsxParse, too_many_arguments) {
  const auto err = parse_error("write 0x0 0x10 0x0 0x5\n");
  EXPECT_EQ(err.line, 1);
  EXPECT_EQ(err.reason, "unexpected argument '0x5': 'write' takes 3");
}

TEST(FsxParse, bad_numbers_name_the_token) {
  EXPECT_EQ(parse_error("write 0x0 0x1g 0x0\n").reason,
            "invalid number '0x1g' (argument 2 of 'write')");
  EXPECT_EQ(parse_error("write 0x0 0x10 09\n").reason,
            "invalid number '09' (argument 3 of 'write')");
  EXPECT_EQ(parse_error("read -1 0x10 0x0\n").reason,
            "invalid number '-1' (argument 1 of 'read')");
  EXPECT_EQ(parse_error("read 0x10000000000000000 0x10 0x0\n").reason,
            "invalid number '0x10000000000000000' (argument 1 of 'read')");
}

TEST(FsxParse, unknown_flag_names_the_token) {
  const auto err = parse_error("write 0x0 0x10 0x0\nfallocate 0x0 0x10 0x10 keepsize\n");
  EXPECT_EQ(err.line, 2);
  EXPECT_EQ(err.reason, "unknown flag 'keepsize'");
}

TEST(FsxParse, skip_needs_an_operation) {
  const auto err = parse_error("skip\n");
  EXPECT_EQ(err.line, 1);
  EXPECT_EQ(err.reason, "'skip' without an operation");
}

TEST(FsxParse, last_line_without_newline_and_empty_log) {
  EXPECT_EQ(parse_ok("write 0 1 0").size(), 1u);
  EXPECT_TRUE(parse_ok("").empty());
}

rc::Gen<Op> gen_op() {
  return rc::gen::exec([] {
    Op op;
    op.kind = static_cast<OpKind>(*rc::gen::inRange(0, 11));
    const auto number = rc::gen::oneOf(rc::gen::inRange<std::uint64_t>(0, 0x100000),
                                       rc::gen::arbitrary<std::uint64_t>());
    op.offset = *number;
    op.length = *number;
    if (op.kind == OpKind::copy_range) op.dest = *number;
    op.size_before = *number;
    op.keep_size = *rc::gen::arbitrary<bool>();
    op.close_open = *rc::gen::arbitrary<bool>();
    op.number = 1;
    op.line = 1;
    return op;
  });
}

RC_GTEST_PROP(FsxFormat, format_op_round_trips_through_parse_ops, ()) {
  const Op op = *gen_op();
  const std::string line = format_op(op);
  auto parsed = parse_ops(line, "gen.fsxops");
  RC_ASSERT(std::holds_alternative<std::vector<Op>>(parsed));
  const auto& ops = std::get<std::vector<Op>>(parsed);
  RC_ASSERT(ops.size() == 1u);
  RC_ASSERT(ops[0] == op);
}

// --- the data pattern and transcript lines -----------------------------------------

TEST(FsxPattern, matches_the_readme_formula) {
  EXPECT_EQ(pattern_byte(1, 0), 131 % 251 + 1);
  EXPECT_EQ(pattern_byte(2, 0), 262 % 251 + 1);
  EXPECT_EQ(pattern_byte(7, 0x154b9), (7 * 131 + 0x154b9) % 251 + 1);
  EXPECT_EQ(pattern_byte(0, 250), 251);  // the largest value, and never 0
  EXPECT_EQ(pattern_byte(0, 251), 1);
  EXPECT_EQ(pattern_byte(~0ULL, ~0ULL), ((~0ULL % 251) * 131 + ~0ULL % 251) % 251 + 1);
}

TEST(FsxTranscriptFormat, fnv1a64_uses_the_basis_of_the_kernel_transcripts) {
  // FNV-1a with offset basis 1469598103934665603, not the standard
  // 14695981039346656037 the README names: every .expected file agrees on it
  // (a read of only zeros hashes to basis * prime^len).
  constexpr std::uint64_t basis = 1469598103934665603ULL;
  constexpr std::uint64_t prime = 1099511628211ULL;
  EXPECT_EQ(fnv1a64({}), basis);
  EXPECT_EQ(basis, 0x14650fb0739d0383ULL);
  const std::uint8_t ab[] = {'a', 0xff};
  EXPECT_EQ(fnv1a64(ab), (((basis ^ 'a') * prime) ^ 0xff) * prime);
  // lite-s11 op 2 reads 15971 bytes of a file that was only ever truncated.
  const std::vector<std::uint8_t> zeros(15971, 0);
  EXPECT_EQ(fnv1a64(zeros), 0xbe08bb0202f08c01ULL);
}

TEST(FsxTranscriptFormat, lines) {
  Op op;
  op.kind = OpKind::collapse_range;
  op.number = 12;
  EXPECT_EQ(format_op_line(op, -EINVAL, 12288), "12 collapse_range rc=-22 size=12288\n");
  op.kind = OpKind::mapread;
  EXPECT_EQ(format_read_line(op, 0, 7, {}),
            "12 mapread rc=0 size=7 len=0 fnv64=14650fb0739d0383\n");
  EXPECT_EQ(format_final_line({}), "final size=0 fnv64=14650fb0739d0383\n");
}

// --- execution semantics -----------------------------------------------------------

std::string reference_of(std::string_view log) { return run_reference(parse_ok(log)); }

TEST(FsxReference, zero_length_ops_do_nothing_but_print) {
  std::vector<std::uint8_t> written;
  for (std::uint64_t o = 0; o < 16; ++o) written.push_back(pattern_byte(1, o));
  EXPECT_EQ(reference_of("write 0x0 0x10 0x0\n"
                         "collapse_range 0x0 0x0 0x10\n"
                         "mapwrite 0x100 0x0 0x10\n"
                         "fallocate 0x100 0x0 0x10\n"
                         "read 0x0 0x0 0x10\n"),
            "1 write rc=0 size=16\n"
            "2 collapse_range rc=0 size=16\n"
            "3 mapwrite rc=0 size=16\n"
            "4 fallocate rc=0 size=16\n"
            "5 read rc=0 size=16 len=0 fnv64=14650fb0739d0383\n" +
                format_final_line(written));
}

TEST(FsxReference, truncate_to_zero_is_not_a_zero_length_op) {
  EXPECT_EQ(reference_of("write 0x0 0x10 0x0\ntruncate 0x0 0x0 0x10\n"),
            "1 write rc=0 size=16\n2 truncate rc=0 size=0\nfinal size=0 fnv64=14650fb0739d0383\n");
}

TEST(FsxReference, reads_are_clipped_at_eof) {
  const std::string t =
      reference_of("write 0x0 0x10 0x0\nread 0x8 0x100 0x10\nread 0x20 0x10 0x10\n");
  EXPECT_NE(t.find("2 read rc=0 size=16 len=8 "), std::string::npos) << t;
  EXPECT_NE(t.find("3 read rc=0 size=16 len=0 fnv64=14650fb0739d0383\n"), std::string::npos) << t;
}

TEST(FsxReference, overlapping_copy_range_is_einval_after_clipping) {
  // [0x0, 0x2000) onto 0x1000 overlaps; clipped to EOF at 0x1800, 0x1800
  // bytes from 0x1000 still overlap their own destination.
  EXPECT_NE(reference_of("write 0x0 0x2000 0x0\ncopy_range 0x0 0x2000 0x1000 0x2000\n")
                .find("2 copy_range rc=-22 size=8192\n"),
            std::string::npos);
  // Clipping makes a copy disjoint: 0x800 bytes from 0x1800 land below it.
  EXPECT_NE(reference_of("write 0x0 0x2000 0x0\ncopy_range 0x1800 0x1000 0x800 0x2000\n")
                .find("2 copy_range rc=0 size=8192\n"),
            std::string::npos);
}

TEST(FsxReference, copy_range_past_eof_of_destination_extends_the_file) {
  const std::string t = reference_of("write 0x0 0x10 0x0\ncopy_range 0x0 0x10 0x100 0x10\n"
                                     "read 0x100 0x10 0x110\nread 0x0 0x10 0x110\n");
  EXPECT_NE(t.find("2 copy_range rc=0 size=272\n"), std::string::npos) << t;
  // The copy carries op 1's bytes, so both reads hash the same.
  const auto hash_of = [&](const char* prefix) {
    const auto at = t.find(prefix);
    return at == std::string::npos ? std::string("missing") : t.substr(t.find("fnv64=", at), 22);
  };
  EXPECT_EQ(hash_of("3 read"), hash_of("4 read"));
}

TEST(FsxReference, out_of_loff_t_range_is_einval) {
  EXPECT_EQ(reference_of("write 0x8000000000000000 0x1 0x0\n"),
            "1 write rc=-22 size=0\nfinal size=0 fnv64=14650fb0739d0383\n");
}

// Records which operations reach the Target and whether each kept the
// contract Target documents, to show run_transcript keeps the kernel's
// up-front decisions to itself.
class SpyTarget final : public Target {
 public:
  std::vector<std::string> calls;
  std::vector<std::string> broken;  // calls made outside the contract
  ReferenceFile file;

  std::uint64_t size() override { return file.size(); }
  ReadResult read(std::uint64_t o, std::uint64_t l, Access a) override {
    note(a == Access::mapped ? "mapread" : "read", l > 0 && o + l <= size());
    return file.read(o, l, a);
  }
  int write(std::uint64_t o, std::span<const std::uint8_t> d, Access a) override {
    const bool mapped = a == Access::mapped;
    note(mapped ? "mapwrite" : "write", !d.empty() && (!mapped || o + d.size() <= size()));
    return file.write(o, d, a);
  }
  int truncate(std::uint64_t s) override {
    note("truncate", true);
    return file.truncate(s);
  }
  int fallocate(std::uint64_t o, std::uint64_t l, bool k) override {
    note("fallocate", l > 0);
    return file.fallocate(o, l, k);
  }
  int punch_hole(std::uint64_t o, std::uint64_t l) override {
    note("punch_hole", l > 0);
    return file.punch_hole(o, l);
  }
  int zero_range(std::uint64_t o, std::uint64_t l, bool k) override {
    note("zero_range", l > 0);
    return file.zero_range(o, l, k);
  }
  int collapse_range(std::uint64_t o, std::uint64_t l) override {
    note("collapse_range", l > 0 && o % 4096 == 0 && l % 4096 == 0 && o + l < size());
    return file.collapse_range(o, l);
  }
  int insert_range(std::uint64_t o, std::uint64_t l) override {
    note("insert_range", l > 0 && o % 4096 == 0 && l % 4096 == 0 && o < size());
    return file.insert_range(o, l);
  }
  int copy_range(std::uint64_t s, std::uint64_t l, std::uint64_t d) override {
    note("copy_range", l > 0 && s + l <= size() && (d + l <= s || s + l <= d));
    return file.copy_range(s, l, d);
  }
  void close_open() override { note("close_open", true); }
  std::vector<std::uint8_t> final_contents() override {
    note("final", true);
    return file.final_contents();
  }

 private:
  void note(const char* call, bool in_contract) {
    calls.push_back(call);
    if (!in_contract) broken.push_back(call);
  }
};

TEST(FsxRunTranscript, rejected_and_empty_ops_never_reach_the_target) {
  SpyTarget spy;
  const auto ops = parse_ok(
      "collapse_range 0x0 0x1000 0x0\n"          // past EOF: EINVAL
      "write 0x0 0x3000 0x0 close_open\n"
      "insert_range 0x1000 0x800 0x3000\n"       // misaligned: EINVAL
      "collapse_range 0x1000 0x2000 0x3000\n"    // reaches EOF: EINVAL
      "copy_range 0x4000 0x1000 0x0 0x3000\n"    // source past EOF: nothing to copy
      "punch_hole 0x0 0x0 0x3000\n"              // empty
      "mapwrite 0x2800 0x1000 0x3000\n"          // truncate up, then write
      "read 0x3000 0x1000 0x3800\n"              // clipped to 0x800
      "insert_range 0x1000 0x1000 0x3800\n");
  const std::string t = run_transcript(ops, spy);
  EXPECT_EQ(spy.calls, (std::vector<std::string>{"write", "close_open", "truncate", "mapwrite",
                                                  "read", "insert_range", "final"}));
  EXPECT_TRUE(spy.broken.empty());
  EXPECT_EQ(t, run_reference(ops));
}

// Small offsets and lengths, often block-aligned, so random logs hit EOF,
// the alignment rules and overlapping copies often, as a log cut to its last
// operations does.
rc::Gen<std::vector<Op>> gen_log() {
  const auto value = rc::gen::oneOf(rc::gen::inRange<std::uint64_t>(0, 0x30000),
                                    rc::gen::map(rc::gen::inRange<std::uint64_t>(0, 48),
                                                 [](std::uint64_t b) { return b * 4096; }));
  const auto op = rc::gen::exec([value] {
    Op op;
    op.kind = static_cast<OpKind>(*rc::gen::inRange(0, 11));
    op.offset = op.kind == OpKind::truncate ? 0 : *value;
    op.length = *value;
    if (op.kind == OpKind::copy_range) op.dest = *value;
    op.keep_size = *rc::gen::arbitrary<bool>();
    op.close_open = *rc::gen::inRange(0, 8) == 0;
    return op;
  });
  return rc::gen::map(rc::gen::container<std::vector<Op>>(op), [](std::vector<Op> ops) {
    for (std::size_t i = 0; i < ops.size(); ++i) ops[i].number = i + 1;
    return ops;
  });
}

RC_GTEST_PROP(FsxRunTranscript, random_logs_keep_the_target_contract, ()) {
  const auto ops = *gen_log();
  SpyTarget spy;
  const std::string t = run_transcript(ops, spy);
  RC_ASSERT(spy.broken.empty());
  RC_ASSERT(t == run_reference(ops));
  // One line per op and the final line.
  RC_ASSERT(static_cast<std::size_t>(std::count(t.begin(), t.end(), '\n')) == ops.size() + 1);
}

}  // namespace
}  // namespace wbsim::fsx_test
