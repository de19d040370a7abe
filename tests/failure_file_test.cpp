// Failure files: format/parse round trip and atomic writing and reading
// (parse errors: failure_file_parse_test.cpp).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/failure_file_util.h"

namespace wbsim {
namespace {

using namespace failure_file_test;  // NOLINT: the helpers of this test only
namespace fs = std::filesystem;

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

TEST(FailureFile, a_script_scenario_adds_its_path_and_hash_before_the_checksum) {
  FailureRecord r = sample_record();
  r.script = "/home/me/my scenarios/overwrite.cpp";
  r.script_hash = "00ff00ff00ff00ff";
  const auto lines = split_lines(format_failure_file(r));
  ASSERT_EQ(lines.size(), 18u);
  EXPECT_EQ(lines[15], "script: /home/me/my scenarios/overwrite.cpp");
  EXPECT_EQ(lines[16], "script-hash: 00ff00ff00ff00ff");
  std::string err;
  auto back = parse_failure_file(join_lines(lines), &err);
  ASSERT_TRUE(back.has_value()) << err;
  expect_same(r, *back);
  EXPECT_EQ(back->script, r.script);
  EXPECT_EQ(back->script_hash, r.script_hash);
  // Without a script the lines are absent, and a file without them parses
  // with none (every file written before scripts existed).
  auto plain = parse_failure_file(format_failure_file(sample_record()), &err);
  ASSERT_TRUE(plain.has_value()) << err;
  EXPECT_EQ(plain->script, "");
  EXPECT_EQ(plain->script_hash, "");
  // A hash that is not 16 hex digits is named with its line.
  auto bad = lines;
  bad.pop_back();
  bad[16] = "script-hash: xyz";
  EXPECT_NE(parse_error(resign(bad)).find("17: script-hash 'xyz' is not 16 hex digits"), std::string::npos);
}

TEST(FailureFile, a_composed_run_records_its_fault_sites_and_params_before_the_checksum) {
  FailureRecord r = sample_record();
  r.fault_sites = "+server.stall,-cache.*";
  r.params = "ops=1,folios=2";
  const auto lines = split_lines(format_failure_file(r));
  ASSERT_EQ(lines.size(), 18u);
  EXPECT_EQ(lines[15], "fault-sites: +server.stall,-cache.*");
  EXPECT_EQ(lines[16], "params: ops=1,folios=2");
  std::string err;
  auto back = parse_failure_file(join_lines(lines), &err);
  ASSERT_TRUE(back.has_value()) << err;
  expect_same(r, *back);
  EXPECT_EQ(back->fault_sites, r.fault_sites);
  EXPECT_EQ(back->params, r.params);
  // The lines are remembered, so that whoever checks the text against the
  // registry can name the line at fault.
  EXPECT_EQ(back->fault_sites_line, 16u);
  EXPECT_EQ(back->params_line, 17u);
  auto plain = parse_failure_file(format_failure_file(sample_record()), &err);
  ASSERT_TRUE(plain.has_value()) << err;
  EXPECT_EQ(plain->fault_sites, "");
  EXPECT_EQ(plain->params, "");
  auto bad = lines;
  bad.pop_back();
  bad[16] = "params:";
  EXPECT_NE(parse_error(resign(bad)).find("17: empty params"), std::string::npos);
  bad[16] = "params: a=1";
  bad.push_back("params: b=2");
  EXPECT_NE(parse_error(resign(bad)).find("18: key 'params' given twice"), std::string::npos);
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
