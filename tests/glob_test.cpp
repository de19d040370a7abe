// Scenario name globs (scenarios/glob.cpp). The fuzz target args_fuzz checks
// the matcher against a recursive one; these are the cases it found.
#include <gtest/gtest.h>

#include "scenarios/glob.h"

namespace wbsim {
namespace {

using scenarios::glob_match;

TEST(GlobMatch, a_star_in_the_glob_is_never_taken_for_a_literal_star_in_the_text) {
  EXPECT_TRUE(glob_match("a*", "a*b"));
  EXPECT_TRUE(glob_match("*a?b*", "xa-b*zz"));
  EXPECT_FALSE(glob_match("a*c", "a*b"));
}

TEST(GlobMatch, stars_and_question_marks_match_runs_and_single_characters) {
  EXPECT_TRUE(glob_match("netfs/*", "netfs/retry_resplit_one_fewer"));
  EXPECT_TRUE(glob_match("*/retry_*", "mm/pressure/retry_x"));
  EXPECT_TRUE(glob_match("sim/abba_rac?", "sim/abba_race"));
  EXPECT_FALSE(glob_match("sim/abba_rac?", "sim/abba_rac"));
  EXPECT_FALSE(glob_match("netfs/*", "fuse/netfs/x"));
  EXPECT_TRUE(glob_match("*", ""));
}

}  // namespace
}  // namespace wbsim
