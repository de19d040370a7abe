// Failure files: format/parse round trip, line-numbered parse errors, and
// atomic writing and reading.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/failure_file.h"
#include "sim/strategy.h"
#include "sim/tape.h"
#include "tests/sim_test_util.h"

namespace wbsim {
namespace {

namespace fs = std::filesystem;
using sim::FailureRecord;
using sim::format_failure_file;
using sim::parse_failure_file;

FailureRecord sample_record() {
  FailureRecord r;
  r.scenario = "canary/abba_deadlock";
  r.seed = 12345;
  r.strategy = test::pct(3);
  r.bugs = {"lost_wakeup", "missing_flush"};
  r.faults = false;
  r.checker = "deadlock";
  r.message = "no fiber can run and no timer is pending";
  r.time = 1500;
  r.step = 42;
  r.trace_hash = 0x0123456789abcdefULL;
  for (std::uint32_t c : {0u, 1u, 300u, 0xffffffffu}) r.tape.push(c);
  r.wbsim_version = "0.1.0";
  r.commit = "0123456789ab";
  r.options = "faults=off pct-steps=200";
  return r;
}

void expect_same(const FailureRecord& a, const FailureRecord& b) {
  EXPECT_EQ(a.scenario, b.scenario);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.strategy.kind, b.strategy.kind);
  EXPECT_EQ(a.strategy.pct_depth, b.strategy.pct_depth);
  EXPECT_EQ(a.bugs, b.bugs);
  EXPECT_EQ(a.faults, b.faults);
  EXPECT_EQ(a.checker, b.checker);
  EXPECT_EQ(a.message, b.message);
  EXPECT_EQ(a.time, b.time);
  EXPECT_EQ(a.step, b.step);
  EXPECT_EQ(a.trace_hash, b.trace_hash);
  EXPECT_EQ(a.tape.choices(), b.tape.choices());
  if (b.format == 2) {
    EXPECT_EQ(a.wbsim_version, b.wbsim_version);
    EXPECT_EQ(a.commit, b.commit);
    EXPECT_EQ(a.options, b.options);
  }
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Replaces 1-based line `n`.
std::string with_line(const std::string& text, std::size_t n, const std::string& replacement) {
  auto lines = split_lines(text);
  lines.at(n - 1) = replacement;
  return join_lines(lines);
}

// FNV-1a, as the checksum line documents: lets a test build a file whose
// checksum is right but whose content is wrong in another way. The test
// below checks this matches what format_failure_file writes.
std::string resign(std::vector<std::string> lines_without_checksum) {
  const std::string body = join_lines(lines_without_checksum);
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : body) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "checksum: %016llx", static_cast<unsigned long long>(h));
  return body + buf + "\n";
}

// The error of parsing `text`, asserting it failed.
std::string parse_error(const std::string& text) {
  std::string err;
  auto r = parse_failure_file(text, &err);
  EXPECT_FALSE(r.has_value()) << "parsed:\n" << text;
  return err;
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// --- round trip -------------------------------------------------------------------

TEST(FailureFile, format_then_parse_gives_back_the_record) {
  const FailureRecord r = sample_record();
  const std::string text = format_failure_file(r);
  std::string err;
  auto back = parse_failure_file(text, &err);
  ASSERT_TRUE(back.has_value()) << err << "\n" << text;
  expect_same(r, *back);
}

TEST(FailureFile, the_format_is_sixteen_keyed_lines_starting_with_the_magic) {
  const auto lines = split_lines(format_failure_file(sample_record()));
  ASSERT_EQ(lines.size(), 16u);
  EXPECT_EQ(lines[0], "wbsim-failure 2");
  EXPECT_EQ(lines[1], "scenario: canary/abba_deadlock");
  EXPECT_EQ(lines[2], "seed: 12345");
  EXPECT_EQ(lines[3], "strategy: pct:3");
  EXPECT_EQ(lines[4], "bugs: lost_wakeup,missing_flush");
  EXPECT_EQ(lines[5], "faults: off");
  EXPECT_EQ(lines[10], "trace-hash: 0123456789abcdef");
  EXPECT_EQ(lines[11], "tape: " + sample_record().tape.encode());
  EXPECT_EQ(lines[12], "wbsim: 0.1.0");
  EXPECT_EQ(lines[13], "commit: 0123456789ab");
  EXPECT_EQ(lines[14], "options: faults=off pct-steps=200");
  EXPECT_TRUE(starts_with(lines[15], "checksum: "));
}

TEST(FailureFile, a_format_1_file_without_provenance_still_parses) {
  auto lines = split_lines(format_failure_file(sample_record()));
  lines.pop_back();                             // checksum
  lines.resize(12);                             // magic .. tape
  lines[0] = "wbsim-failure 1";
  std::string err;
  auto back = parse_failure_file(resign(lines), &err);
  ASSERT_TRUE(back.has_value()) << err;
  EXPECT_EQ(back->format, 1);
  EXPECT_EQ(back->wbsim_version, "unknown");
  EXPECT_EQ(back->commit, "unknown");
  expect_same(sample_record(), *back);
  // ... but a format-2 file must carry them.
  lines[0] = "wbsim-failure 2";
  EXPECT_NE(parse_error(resign(lines)).find("missing key 'wbsim'"), std::string::npos);
}

TEST(FailureFile, the_test_checksum_helper_matches_the_writer) {
  const std::string text = format_failure_file(sample_record());
  auto lines = split_lines(text);
  lines.pop_back();
  EXPECT_EQ(resign(lines), text);
}

TEST(FailureFile, a_multiline_message_is_written_as_one_line) {
  FailureRecord r = sample_record();
  r.message = "first\nsecond\r\nthird";
  std::string err;
  auto back = parse_failure_file(format_failure_file(r), &err);
  ASSERT_TRUE(back.has_value()) << err;
  EXPECT_EQ(back->message, "first second  third");
}

TEST(FailureFile, empty_bugs_and_random_strategy_round_trip) {
  FailureRecord r = sample_record();
  r.bugs.clear();
  r.strategy = sim::StrategySpec{};
  r.faults = true;
  r.tape = sim::Tape{};
  std::string err;
  auto back = parse_failure_file(format_failure_file(r), &err);
  ASSERT_TRUE(back.has_value()) << err;
  expect_same(r, *back);
}

rc::Gen<std::string> printable(int min_len) {
  return rc::gen::suchThat(rc::gen::container<std::string>(rc::gen::inRange<char>(32, 127)),
                           [min_len](const std::string& s) { return static_cast<int>(s.size()) >= min_len; });
}

RC_GTEST_PROP(FailureFile, any_record_survives_format_and_parse, ()) {
  FailureRecord r;
  r.scenario = *printable(1);
  r.seed = *rc::gen::arbitrary<std::uint64_t>();
  r.strategy = *rc::gen::element(sim::StrategySpec{}, test::pct(1), test::pct(3), test::pct(64));
  r.bugs = *rc::gen::container<std::vector<std::string>>(
      rc::gen::nonEmpty(rc::gen::container<std::string>(rc::gen::elementOf(std::string("abcdefghijklmnopqrstuvwxyz_0123456789")))));
  r.faults = *rc::gen::arbitrary<bool>();
  r.checker = *rc::gen::element<std::string>("", "deadlock", "livelock", "assertion", "atomic-sleep");
  r.message = *printable(0);
  r.time = *rc::gen::arbitrary<std::uint64_t>();
  r.step = *rc::gen::arbitrary<std::uint64_t>();
  r.trace_hash = *rc::gen::arbitrary<std::uint64_t>();
  for (std::uint32_t c : *rc::gen::arbitrary<std::vector<std::uint32_t>>()) r.tape.push(c);

  std::string err;
  auto back = parse_failure_file(format_failure_file(r), &err);
  RC_ASSERT(back.has_value());
  RC_ASSERT(back->scenario == r.scenario);
  RC_ASSERT(back->seed == r.seed);
  RC_ASSERT(back->strategy.to_string() == r.strategy.to_string());
  RC_ASSERT(back->bugs == r.bugs);
  RC_ASSERT(back->faults == r.faults);
  RC_ASSERT(back->checker == r.checker);
  RC_ASSERT(back->message == r.message);
  RC_ASSERT(back->time == r.time);
  RC_ASSERT(back->step == r.step);
  RC_ASSERT(back->trace_hash == r.trace_hash);
  RC_ASSERT(back->tape == r.tape);
}

// --- parse errors name the line ------------------------------------------------------

TEST(FailureFileParse, bad_magic_is_an_error_on_line_1) {
  const std::string text = with_line(format_failure_file(sample_record()), 1, "wbsim-failure 3");
  const std::string err = parse_error(text);
  EXPECT_TRUE(starts_with(err, "1: ")) << err;
  EXPECT_NE(err.find("not a wbsim failure file"), std::string::npos) << err;
  EXPECT_TRUE(starts_with(parse_error("hello\n"), "1: "));
}

TEST(FailureFileParse, an_unknown_key_is_an_error_on_its_line) {
  auto lines = split_lines(format_failure_file(sample_record()));
  lines.insert(lines.begin() + 2, "colour: red");
  const std::string err = parse_error(join_lines(lines));
  EXPECT_TRUE(starts_with(err, "3: ")) << err;
  EXPECT_NE(err.find("unknown key 'colour'"), std::string::npos) << err;
}

TEST(FailureFileParse, a_missing_key_is_an_error_even_with_a_valid_checksum) {
  auto lines = split_lines(format_failure_file(sample_record()));
  lines.pop_back();                  // checksum
  lines.erase(lines.begin() + 4);    // bugs
  const std::string text = resign(lines);
  const std::string err = parse_error(text);
  EXPECT_TRUE(starts_with(err, "15: ")) << err;  // reported at the last line
  EXPECT_NE(err.find("missing key 'bugs'"), std::string::npos) << err;
}

TEST(FailureFileParse, a_duplicated_key_is_an_error_on_its_second_line) {
  auto lines = split_lines(format_failure_file(sample_record()));
  lines.pop_back();
  lines.insert(lines.begin() + 3, "seed: 7");
  const std::string err = parse_error(resign(lines));
  EXPECT_TRUE(starts_with(err, "4: ")) << err;
  EXPECT_NE(err.find("given twice"), std::string::npos) << err;
}

TEST(FailureFileParse, a_non_numeric_seed_is_an_error_on_line_3) {
  for (const char* bad : {"seed: abc", "seed: 12x", "seed: -1", "seed: ", "seed: 99999999999999999999999"}) {
    const std::string err = parse_error(with_line(format_failure_file(sample_record()), 3, bad));
    EXPECT_TRUE(starts_with(err, "3: ")) << bad << " -> " << err;
    EXPECT_NE(err.find("not a whole number"), std::string::npos) << err;
  }
}

TEST(FailureFileParse, a_bad_strategy_is_an_error_on_line_4) {
  for (const char* bad : {"strategy: pct:0", "strategy: foo", "strategy: pct:65", "strategy: replay"}) {
    const std::string err = parse_error(with_line(format_failure_file(sample_record()), 4, bad));
    EXPECT_TRUE(starts_with(err, "4: ")) << bad << " -> " << err;
    EXPECT_NE(err.find("strategy"), std::string::npos) << err;
  }
}

TEST(FailureFileParse, bad_faults_and_trace_hash_values_are_errors_on_their_lines) {
  const std::string text = format_failure_file(sample_record());
  EXPECT_TRUE(starts_with(parse_error(with_line(text, 6, "faults: maybe")), "6: "));
  EXPECT_TRUE(starts_with(parse_error(with_line(text, 11, "trace-hash: 123")), "11: "));
  EXPECT_TRUE(starts_with(parse_error(with_line(text, 11, "trace-hash: 0123456789abcdeg")), "11: "));
  EXPECT_TRUE(starts_with(parse_error(with_line(text, 2, "scenario: ")), "2: "));
}

TEST(FailureFileParse, bad_tape_hex_is_an_error_on_line_12) {
  for (const char* bad : {"tape: 0g", "tape: 000", "tape: 80", "tape: ZZ"}) {
    const std::string err = parse_error(with_line(format_failure_file(sample_record()), 12, bad));
    EXPECT_TRUE(starts_with(err, "12: tape: ")) << bad << " -> " << err;
  }
}

TEST(FailureFileParse, editing_one_character_breaks_the_checksum_on_line_16) {
  const std::string text = format_failure_file(sample_record());
  // One character in each of several lines, each edit still a valid value.
  const std::vector<std::pair<std::string, std::string>> edits = {
      {"seed: 12345", "seed: 12346"},
      {"message: no fiber", "message: no fibex"},
      {"checker: deadlock", "checker: deadlocK"},
      {"tape: 00", "tape: 01"},
      {"step: 42", "step: 43"},
      {"strategy: pct:3", "strategy: pct:4"},
  };
  for (const auto& [from, to] : edits) {
    std::string edited = text;
    const auto at = edited.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    edited.replace(at, from.size(), to);
    const std::string err = parse_error(edited);
    EXPECT_TRUE(starts_with(err, "16: ")) << from << " -> " << err;
    EXPECT_NE(err.find("checksum does not match"), std::string::npos) << err;
  }
}

TEST(FailureFileParse, a_file_without_its_final_newline_is_truncated_at_the_last_line) {
  std::string text = format_failure_file(sample_record());
  text.pop_back();
  const std::string err = parse_error(text);
  EXPECT_TRUE(starts_with(err, "16: ")) << err;
  EXPECT_NE(err.find("not terminated"), std::string::npos) << err;
}

TEST(FailureFileParse, a_file_cut_mid_line_is_truncated_at_that_line) {
  const std::string text = format_failure_file(sample_record());
  const std::string cut = text.substr(0, text.find("message: ") + 5);
  const std::string err = parse_error(cut);
  EXPECT_TRUE(starts_with(err, "8: ")) << err;
  EXPECT_NE(err.find("truncated"), std::string::npos) << err;
}

TEST(FailureFileParse, a_file_missing_its_last_lines_names_the_first_missing_key) {
  auto lines = split_lines(format_failure_file(sample_record()));
  lines.resize(5);  // magic .. bugs
  const std::string err = parse_error(join_lines(lines));
  EXPECT_TRUE(starts_with(err, "5: ")) << err;
  EXPECT_NE(err.find("missing key 'faults'"), std::string::npos) << err;
  // Only the checksum line gone.
  auto no_sum = split_lines(format_failure_file(sample_record()));
  no_sum.pop_back();
  EXPECT_NE(parse_error(join_lines(no_sum)).find("missing key 'checksum'"), std::string::npos);
}

TEST(FailureFileParse, text_after_the_checksum_is_an_error_on_the_line_after_it) {
  const std::string text = format_failure_file(sample_record());
  for (const char* extra : {"extra\n", "x", "\n"}) {
    const std::string err = parse_error(text + extra);
    EXPECT_TRUE(starts_with(err, "17: ")) << err;
    EXPECT_NE(err.find("after the checksum"), std::string::npos) << err;
  }
}

TEST(FailureFileParse, an_empty_file_is_rejected) {
  std::string err;
  EXPECT_FALSE(parse_failure_file("", &err).has_value());
  EXPECT_NE(err.find("empty"), std::string::npos) << err;
}

// --- writing and reading files ------------------------------------------------------------

class FailureFileDir : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string templ = (fs::temp_directory_path() / "wbsim_ff_XXXXXX").string();
    ASSERT_NE(::mkdtemp(templ.data()), nullptr);
    root_ = templ;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
  }
  std::vector<std::string> entries(const fs::path& dir) const {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    return out;
  }
  fs::path root_;
};

TEST_F(FailureFileDir, write_creates_the_directory_and_leaves_one_complete_file_and_no_temporary) {
  const fs::path dir = root_ / "nested" / "failures";
  const FailureRecord r = sample_record();
  std::string err;
  auto path = sim::write_failure_file(dir.string(), r, &err);
  ASSERT_TRUE(path.has_value()) << err;
  EXPECT_TRUE(fs::exists(*path));
  EXPECT_EQ(fs::path(*path).parent_path(), dir);
  const std::string name = fs::path(*path).filename().string();
  EXPECT_EQ(name, "canary_abba_deadlock-seed12345-deadlock.wbsim");
  const auto names = entries(dir);
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0].find(".tmp"), std::string::npos);

  std::ifstream in(*path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  EXPECT_EQ(ss.str(), format_failure_file(r));

  auto back = sim::read_failure_file(*path, &err);
  ASSERT_TRUE(back.has_value()) << err;
  expect_same(r, *back);
}

TEST_F(FailureFileDir, writing_again_replaces_the_file_whole) {
  FailureRecord r = sample_record();
  std::string err;
  auto first = sim::write_failure_file(root_.string(), r, &err);
  ASSERT_TRUE(first.has_value()) << err;
  r.message = "a different message";
  r.step = 7;
  auto second = sim::write_failure_file(root_.string(), r, &err);
  ASSERT_TRUE(second.has_value()) << err;
  EXPECT_EQ(*first, *second);
  auto back = sim::read_failure_file(*second, &err);
  ASSERT_TRUE(back.has_value()) << err;
  EXPECT_EQ(back->message, "a different message");
  EXPECT_EQ(back->step, 7u);
  const auto names = entries(root_);
  EXPECT_EQ(names.size(), 1u);
  for (const auto& n : names) EXPECT_EQ(n.find(".tmp"), std::string::npos) << n;
}

TEST_F(FailureFileDir, reading_a_missing_file_names_the_path) {
  const std::string path = (root_ / "no-such-file.wbsim").string();
  std::string err;
  EXPECT_FALSE(sim::read_failure_file(path, &err).has_value());
  EXPECT_TRUE(starts_with(err, path + ": ")) << err;
  EXPECT_NE(err.find("cannot read"), std::string::npos) << err;
}

TEST_F(FailureFileDir, reading_a_corrupt_file_names_the_path_and_the_line) {
  const std::string path = (root_ / "corrupt.wbsim").string();
  {
    std::ofstream out(path, std::ios::binary);
    out << with_line(format_failure_file(sample_record()), 3, "seed: many");
  }
  std::string err;
  EXPECT_FALSE(sim::read_failure_file(path, &err).has_value());
  EXPECT_TRUE(starts_with(err, path + ":3: ")) << err;
}

TEST_F(FailureFileDir, writing_into_an_unwritable_place_fails_with_an_error) {
  // A regular file where the directory should be.
  const fs::path blocker = root_ / "not_a_dir";
  { std::ofstream(blocker) << "x"; }
  std::string err;
  auto path = sim::write_failure_file((blocker / "sub").string(), sample_record(), &err);
  EXPECT_FALSE(path.has_value());
  EXPECT_FALSE(err.empty());
}

}  // namespace
}  // namespace wbsim
