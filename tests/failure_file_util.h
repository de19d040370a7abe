// Helpers shared by the failure-file tests: a sample record, line edits,
// and re-signing a file so a test can make it wrong in one way only.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "sim/failure_file.h"
#include "sim/strategy.h"
#include "sim/tape.h"
#include "tests/sim_test_util.h"

namespace wbsim::failure_file_test {


using sim::FailureRecord;
using sim::format_failure_file;
using sim::parse_failure_file;

inline FailureRecord sample_record() {
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

inline void expect_same(const FailureRecord& a, const FailureRecord& b) {
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

inline std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

inline std::string join_lines(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

// Replaces 1-based line `n`.
inline std::string with_line(const std::string& text, std::size_t n, const std::string& replacement) {
  auto lines = split_lines(text);
  lines.at(n - 1) = replacement;
  return join_lines(lines);
}

// FNV-1a, as the checksum line documents: lets a test build a file whose
// checksum is right but whose content is wrong in another way. The test
// below checks this matches what format_failure_file writes.
inline std::string resign(std::vector<std::string> lines_without_checksum) {
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
inline std::string parse_error(const std::string& text) {
  std::string err;
  auto r = parse_failure_file(text, &err);
  EXPECT_FALSE(r.has_value()) << "parsed:\n" << text;
  return err;
}

inline bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace wbsim::failure_file_test
