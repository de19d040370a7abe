//! The decision tape: every choice a run made, in order.
//!
//! A choice is recorded only when there was more than one option, so a tape
//! is as short as the run's real nondeterminism. Choices are stored as LEB128
//! varints (almost all fit one byte: recording is a byte push on the
//! scheduler's hot path) and written to failure files as the same bytes in
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
  Tape() { bytes_.reserve(kInitialBytes); }
  // A tape written into `storage` (cleared; its capacity kept): a sweep
  // worker's runs hand one buffer on instead of allocating one each.
  explicit Tape(std::vector<std::uint8_t>&& storage) : bytes_(std::move(storage)) {
    bytes_.clear();
    bytes_.reserve(kInitialBytes);
  }
  // The buffer, for the next run's tape; this tape is left empty.
  std::vector<std::uint8_t> take_storage() {
    size_ = 0;
    return std::move(bytes_);
  }

  void push(std::uint32_t choice) {
    if (choice < 0x80) [[likely]] {
      bytes_.push_back(static_cast<std::uint8_t>(choice));
    } else {
      push_wide(choice);
    }
    ++size_;
  }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Decoded copy of every choice (for tests and tools, not the hot path).
  std::vector<std::uint32_t> choices() const;

  // Sequential reader, as replay consumes a tape.
  class Reader {
   public:
    explicit Reader(const Tape& tape) : tape_(tape) {}
    // False past the end.
    bool next(std::uint32_t* choice);
    std::size_t position() const { return index_; }

   private:
    const Tape& tape_;
    std::size_t offset_ = 0;
    std::size_t index_ = 0;
  };

  // A hash of every choice; part of a run's trace hash, so that runs whose
  // schedules differ between traced events still hash apart.
  std::uint64_t hash() const;

  std::string encode() const;
  // Decodes `text` as produced by encode(); on failure returns nullopt and
  // says why in *error (with the character offset of the culprit).
  static std::optional<Tape> decode(std::string_view text, std::string* error);

  friend bool operator==(const Tape& a, const Tape& b) { return a.size_ == b.size_ && a.bytes_ == b.bytes_; }

 private:
  static constexpr std::size_t kInitialBytes = 16 * 1024;
  void push_wide(std::uint32_t choice);
  std::vector<std::uint8_t> bytes_;
  std::size_t size_ = 0;
};

}  // namespace wbsim::sim
