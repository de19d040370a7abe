//! The decision tape: every choice a run made, in order.
//!
//! A choice is recorded only when there was more than one option, so a tape
//! is as short as the run's real nondeterminism. Encoded as LEB128 varints in
//! hex, so a failure file stays a text file that survives copy and paste.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace wbsim::sim {

class Tape {
 public:
  void push(std::uint32_t choice) { choices_.push_back(choice); }
  std::size_t size() const { return choices_.size(); }
  std::uint32_t operator[](std::size_t i) const { return choices_[i]; }
  const std::vector<std::uint32_t>& choices() const { return choices_; }
  void reserve(std::size_t n) { choices_.reserve(n); }

  std::string encode() const;
  // Decodes `text` as produced by encode(); on failure returns nullopt and
  // says why in *error (with the character offset of the culprit).
  static std::optional<Tape> decode(std::string_view text, std::string* error);

  friend bool operator==(const Tape&, const Tape&) = default;

 private:
  std::vector<std::uint32_t> choices_;
};

}  // namespace wbsim::sim
