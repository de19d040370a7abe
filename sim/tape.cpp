#include "sim/tape.h"

#include <fmt/format.h>

namespace wbsim::sim {

void Tape::push_wide(std::uint32_t v) {
  do {
    std::uint8_t byte = v & 0x7f;
    v >>= 7;
    if (v != 0) byte |= 0x80;
    bytes_.push_back(byte);
  } while (v != 0);
}

bool Tape::Reader::next(std::uint32_t* choice) {
  if (index_ >= tape_.size_) return false;
  std::uint32_t value = 0;
  int shift = 0;
  for (;;) {
    const std::uint8_t byte = tape_.bytes_[offset_++];
    value |= std::uint32_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) break;
    shift += 7;
  }
  ++index_;
  *choice = value;
  return true;
}

std::vector<std::uint32_t> Tape::choices() const {
  std::vector<std::uint32_t> out;
  out.reserve(size_);
  Reader r(*this);
  std::uint32_t v = 0;
  while (r.next(&v)) out.push_back(v);
  return out;
}

std::uint64_t Tape::hash() const {
  std::uint64_t h = 0x9e3779b97f4a7c15ULL ^ size_;
  std::size_t i = 0;
  for (; i + 8 <= bytes_.size(); i += 8) {
    std::uint64_t word = 0;
    for (int k = 0; k < 8; ++k) word |= std::uint64_t{bytes_[i + k]} << (8 * k);
    h = (h ^ word) * 0xff51afd7ed558ccdULL;
    h ^= h >> 32;
  }
  for (; i < bytes_.size(); ++i) {
    h = (h ^ bytes_[i]) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 29;
  }
  return h;
}

std::string Tape::encode() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes_.size() * 2);
  for (std::uint8_t byte : bytes_) {
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
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
      // Re-encode rather than copy: a non-minimal encoding would compare
      // unequal to the tape the run records.
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
