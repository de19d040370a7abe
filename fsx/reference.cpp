#include "fsx/reference.h"

#include <algorithm>

namespace wbsim::fsx {

namespace {

using Diff = std::vector<std::uint8_t>::difference_type;

Diff at(std::uint64_t offset) { return static_cast<Diff>(offset); }

}  // namespace

ReadResult ReferenceFile::read(std::uint64_t offset, std::uint64_t length, Access) {
  return {0, {data_.begin() + at(offset), data_.begin() + at(offset + length)}};
}

int ReferenceFile::write(std::uint64_t offset, std::span<const std::uint8_t> data, Access) {
  extend_to(offset + data.size());
  std::copy(data.begin(), data.end(), data_.begin() + at(offset));
  return 0;
}

int ReferenceFile::truncate(std::uint64_t new_size) {
  // resize() drops the tail and zero-fills growth: a later extension must not
  // resurrect bytes that were truncated away.
  data_.resize(new_size, 0);
  return 0;
}

int ReferenceFile::fallocate(std::uint64_t offset, std::uint64_t length, bool keep_size) {
  // Allocated blocks read as zeros, and blocks that already hold data keep it,
  // so only the size is visible.
  if (!keep_size) extend_to(offset + length);
  return 0;
}

int ReferenceFile::punch_hole(std::uint64_t offset, std::uint64_t length) {
  zero(offset, offset + length);
  return 0;
}

int ReferenceFile::zero_range(std::uint64_t offset, std::uint64_t length, bool keep_size) {
  // With keep_size the part past EOF is allocated as zeros that are invisible
  // until the file grows, and growth zero-fills anyway.
  if (!keep_size) extend_to(offset + length);
  zero(offset, offset + length);
  return 0;
}

int ReferenceFile::collapse_range(std::uint64_t offset, std::uint64_t length) {
  data_.erase(data_.begin() + at(offset), data_.begin() + at(offset + length));
  return 0;
}

int ReferenceFile::insert_range(std::uint64_t offset, std::uint64_t length) {
  data_.insert(data_.begin() + at(offset), length, 0);
  return 0;
}

int ReferenceFile::copy_range(std::uint64_t src, std::uint64_t length, std::uint64_t dest) {
  // The ranges are disjoint, but growing the vector may move it: copy out first.
  const std::vector<std::uint8_t> bytes(data_.begin() + at(src),
                                        data_.begin() + at(src + length));
  return write(dest, bytes, Access::buffered);
}

void ReferenceFile::zero(std::uint64_t offset, std::uint64_t end) {
  end = std::min<std::uint64_t>(end, data_.size());
  if (offset < end) std::fill(data_.begin() + at(offset), data_.begin() + at(end), 0);
}

void ReferenceFile::extend_to(std::uint64_t end) {
  if (end > data_.size()) data_.resize(end, 0);
}

std::string run_reference(const std::vector<Op>& ops) {
  ReferenceFile file;
  return run_transcript(ops, file);
}

}  // namespace wbsim::fsx
