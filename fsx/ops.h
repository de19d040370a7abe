//! fsx operation logs (.fsxops): the operations fsx recorded with
//! --record-ops, parsed into a list the transcript runner executes.
//!
//!     [skip ]OP A0 A1 A2 [A3] [FLAGS...]
//!
//! Numbers follow strtoul(..., 0): decimal, 0x hex or leading-0 octal.
//! Blank lines and lines starting with '#' are ignored. A `skip` line records
//! an operation fsx did not execute (often one this kernel lacks, such as
//! clone_range or write_atomic), so it is neither executed nor numbered, and
//! its operation name and arguments are not checked.
//! The format is described in full in tests/data/fsx/README.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace wbsim::fsx {

enum class OpKind : std::uint8_t {
  read,
  mapread,
  write,
  mapwrite,
  truncate,
  fallocate,
  punch_hole,
  zero_range,
  collapse_range,
  insert_range,
  copy_range,
};

// The name as it appears in logs and transcripts.
const char* op_name(OpKind kind);

struct Op {
  OpKind kind = OpKind::read;
  // A0: the offset; the source offset for copy_range; 0 for truncate.
  std::uint64_t offset = 0;
  // A1: the length; the new size for truncate.
  std::uint64_t length = 0;
  // A2 of copy_range: the destination offset. 0 for every other op.
  std::uint64_t dest = 0;
  // The last argument: the file size fsx believed in before the op. Only
  // informational: a log cut to its last operations starts from an empty
  // file, so execution always uses the real size instead.
  std::uint64_t size_before = 0;
  bool keep_size = false;
  // After executing the op, write back and drop the file's page cache.
  bool close_open = false;
  // 1-based among executed ops; this is k in the data pattern.
  std::uint64_t number = 0;
  // 1-based line of the log the op came from.
  int line = 0;

  friend bool operator==(const Op&, const Op&) = default;
};

struct ParseError {
  std::string file;
  int line = 0;
  std::string reason;

  friend bool operator==(const ParseError&, const ParseError&) = default;
};

// "FILE:LINE: reason", the form compilers use, so editors can jump to it.
std::string to_string(const ParseError& error);

// Parses a whole log. `filename` is only used in the error.
std::variant<std::vector<Op>, ParseError> parse_ops(std::string_view text,
                                                    std::string_view filename);

// One log line (no newline) that parses back to `op` when it is the first
// executed line of a log, so a generated sequence can be saved and replayed.
std::string format_op(const Op& op);

// The byte executed op number `op_number` writes at absolute file offset
// `offset`. Never zero, so a hole is never mistaken for data, and the offset
// term makes shifted data (collapse, insert, copy) land visibly wrong.
std::uint8_t pattern_byte(std::uint64_t op_number, std::uint64_t offset);

}  // namespace wbsim::fsx
