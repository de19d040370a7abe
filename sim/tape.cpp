#include "sim/tape.h"

#include <fmt/format.h>

namespace wbsim::sim {

std::string Tape::encode() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(choices_.size() * 2);
  for (std::uint32_t v : choices_) {
    do {
      std::uint8_t byte = v & 0x7f;
      v >>= 7;
      if (v != 0) byte |= 0x80;
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    } while (v != 0);
  }
  return out;
}

std::optional<Tape> Tape::decode(std::string_view text, std::string* error) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (text.size() % 2 != 0) {
    *error = fmt::format("odd number of hex digits ({})", text.size());
    return std::nullopt;
  }
  Tape tape;
  tape.reserve(text.size() / 2);
  std::uint64_t value = 0;
  int shift = 0;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    const int hi = nibble(text[i]);
    const int lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) {
      *error = fmt::format("not a hex digit at offset {}", hi < 0 ? i : i + 1);
      return std::nullopt;
    }
    const std::uint8_t byte = static_cast<std::uint8_t>(hi << 4 | lo);
    value |= std::uint64_t{byte & 0x7fu} << shift;
    shift += 7;
    if (value > 0xffffffffULL || shift > 35) {
      *error = fmt::format("choice too large at offset {}", i);
      return std::nullopt;
    }
    if ((byte & 0x80) == 0) {
      tape.push(static_cast<std::uint32_t>(value));
      value = 0;
      shift = 0;
    }
  }
  if (shift != 0) {
    *error = "truncated last choice";
    return std::nullopt;
  }
  return tape;
}

}  // namespace wbsim::sim
