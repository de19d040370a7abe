//! The reference file: an in-memory model of one Linux file that the
//! transcripts of a simulated engine are judged against. It has no page
//! cache, no writeback and no faults, only the bytes and the size, so its
//! transcript is what any correct filesystem must print.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fsx/ops.h"
#include "fsx/transcript.h"

namespace wbsim::fsx {

class ReferenceFile final : public Target {
 public:
  std::uint64_t size() override { return data_.size(); }
  ReadResult read(std::uint64_t offset, std::uint64_t length, Access access) override;
  int write(std::uint64_t offset, std::span<const std::uint8_t> data, Access access) override;
  int truncate(std::uint64_t new_size) override;
  int fallocate(std::uint64_t offset, std::uint64_t length, bool keep_size) override;
  int punch_hole(std::uint64_t offset, std::uint64_t length) override;
  int zero_range(std::uint64_t offset, std::uint64_t length, bool keep_size) override;
  int collapse_range(std::uint64_t offset, std::uint64_t length) override;
  int insert_range(std::uint64_t offset, std::uint64_t length) override;
  int copy_range(std::uint64_t src, std::uint64_t length, std::uint64_t dest) override;
  // Nothing is cached, so there is nothing to drop.
  void close_open() override {}
  std::vector<std::uint8_t> final_contents() override { return data_; }

  const std::vector<std::uint8_t>& contents() const { return data_; }

 private:
  // Zeroes [offset, end) clipped to EOF.
  void zero(std::uint64_t offset, std::uint64_t end);
  // Grows the file with zeros up to `end`; never shrinks it.
  void extend_to(std::uint64_t end);

  // One byte per file byte: the size is data_.size(), and holes are zeros.
  std::vector<std::uint8_t> data_;
};

// The transcript the kernel prints for `ops`, starting from an empty file.
std::string run_reference(const std::vector<Op>& ops);

}  // namespace wbsim::fsx
