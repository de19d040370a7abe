// Failure files: every parse error names its line.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/failure_file_util.h"

namespace wbsim {
namespace {

using namespace failure_file_test;  // NOLINT: the helpers of this test only

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

}  // namespace
}  // namespace wbsim
