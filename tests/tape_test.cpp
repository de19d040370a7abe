// The tape codec: every choice of a run, as varints in hex (failure files).
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "sim/tape.h"

namespace wbsim {
namespace {

using sim::Tape;

Tape make_tape(std::initializer_list<std::uint32_t> choices) {
  Tape t;
  for (auto c : choices) t.push(c);
  return t;
}

RC_GTEST_PROP(Tape, encode_then_decode_gives_back_the_same_choices, (const std::vector<std::uint32_t>& choices)) {
  Tape t;
  for (auto c : choices) t.push(c);
  const std::string text = t.encode();
  RC_ASSERT(text.size() % 2 == 0);
  RC_ASSERT(std::all_of(text.begin(), text.end(),
                        [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }));
  std::string err;
  auto back = Tape::decode(text, &err);
  RC_ASSERT(back.has_value());
  RC_ASSERT(back->choices() == choices);
}

TEST(Tape, small_choices_take_one_byte_and_large_ones_up_to_five) {
  EXPECT_EQ(make_tape({0, 1, 127}).encode(), "00017f");
  EXPECT_EQ(make_tape({128}).encode(), "8001");
  EXPECT_EQ(make_tape({0xffffffffu}).encode(), "ffffffff0f");
  EXPECT_EQ(Tape{}.encode(), "");
}

TEST(Tape, empty_text_decodes_to_an_empty_tape) {
  std::string err;
  auto t = Tape::decode("", &err);
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(t->size(), 0u);
}

TEST(Tape, decode_rejects_an_odd_number_of_digits) {
  for (const char* text : {"0", "abc", "00017"}) {
    std::string err;
    EXPECT_FALSE(Tape::decode(text, &err).has_value()) << text;
    EXPECT_NE(err.find("odd"), std::string::npos) << err;
  }
}

TEST(Tape, decode_rejects_non_hex_digits_naming_the_offset) {
  struct Case {
    const char* text;
    const char* offset;
  } cases[] = {{"0g", "offset 1"}, {"zz", "offset 0"}, {"0001x0", "offset 4"}, {"AB", "offset 0"},
               {"01 2", "offset 2"}};
  for (const auto& c : cases) {
    std::string err;
    EXPECT_FALSE(Tape::decode(c.text, &err).has_value()) << c.text;
    EXPECT_NE(err.find(c.offset), std::string::npos) << c.text << ": " << err;
  }
}

TEST(Tape, decode_rejects_a_truncated_last_varint) {
  for (const char* text : {"80", "0180", "ffff", "00ffffffff"}) {
    std::string err;
    EXPECT_FALSE(Tape::decode(text, &err).has_value()) << text;
    EXPECT_NE(err.find("truncated"), std::string::npos) << text << ": " << err;
  }
}

TEST(Tape, decode_rejects_a_choice_wider_than_32_bits) {
  std::string err;
  EXPECT_FALSE(Tape::decode("ffffffff1f", &err).has_value());
  EXPECT_NE(err.find("too large"), std::string::npos) << err;
  err.clear();
  EXPECT_FALSE(Tape::decode("808080808000", &err).has_value());
  EXPECT_NE(err.find("too large"), std::string::npos) << err;
}

}  // namespace
}  // namespace wbsim
