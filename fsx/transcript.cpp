#include "fsx/transcript.h"

#include <algorithm>
#include <cerrno>
#include <limits>

#include <fmt/format.h>

namespace wbsim::fsx {

namespace {

constexpr std::uint64_t kBlockSize = 4096;
constexpr std::uint64_t kMaxOffset = std::numeric_limits<std::int64_t>::max();

// The offset basis the kernel's .expected files were hashed with:
// 1469598103934665603, the standard 14695981039346656037 without its last
// decimal digit. Those files are the oracle, so their basis is the one used.
constexpr std::uint64_t kFnvBasis = 1469598103934665603ULL;  // 0x14650fb0739d0383
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;        // 0x100000001b3

bool aligned(std::uint64_t v) { return v % kBlockSize == 0; }

// Whether [offset, offset + length) is a valid loff_t range.
bool fits(std::uint64_t offset, std::uint64_t length) {
  return offset <= kMaxOffset && length <= kMaxOffset - offset;
}

std::vector<std::uint8_t> pattern(const Op& op, std::uint64_t offset, std::uint64_t length) {
  std::vector<std::uint8_t> data(length);
  for (std::uint64_t i = 0; i < length; ++i) data[i] = pattern_byte(op.number, offset + i);
  return data;
}

int execute(const Op& op, Target& t) {
  const std::uint64_t off = op.offset;
  const std::uint64_t len = op.length;
  switch (op.kind) {
    case OpKind::read:
    case OpKind::mapread:
      break;  // run_transcript reads itself: it needs the data
    case OpKind::write:
      return t.write(off, pattern(op, off, len), Access::buffered);
    case OpKind::mapwrite: {
      if (off + len > t.size())
        if (int rc = t.truncate(off + len); rc != 0) return rc;
      return t.write(off, pattern(op, off, len), Access::mapped);
    }
    case OpKind::truncate:
      return t.truncate(len);
    case OpKind::fallocate:
      return t.fallocate(off, len, op.keep_size);
    case OpKind::punch_hole:
      return t.punch_hole(off, len);
    case OpKind::zero_range:
      return t.zero_range(off, len, op.keep_size);
    case OpKind::collapse_range:
      if (!aligned(off) || !aligned(len) || off + len >= t.size()) return -EINVAL;
      return t.collapse_range(off, len);
    case OpKind::insert_range:
      if (!aligned(off) || !aligned(len) || off >= t.size()) return -EINVAL;
      return t.insert_range(off, len);
    case OpKind::copy_range: {
      const std::uint64_t size = t.size();
      const std::uint64_t n = off >= size ? 0 : std::min(len, size - off);
      if (op.dest + n > off && op.dest < off + n) return -EINVAL;
      return n == 0 ? 0 : t.copy_range(off, n, op.dest);
    }
  }
  return 0;
}

bool is_read(OpKind kind) { return kind == OpKind::read || kind == OpKind::mapread; }

}  // namespace

Target::~Target() = default;

void Target::before_op(const Op&) {}
void Target::after_op(const Op&) {}

std::uint64_t fnv1a64(std::span<const std::uint8_t> bytes) {
  std::uint64_t h = kFnvBasis;
  for (std::uint8_t b : bytes) {
    h ^= b;
    h *= kFnvPrime;
  }
  return h;
}

std::string format_op_line(const Op& op, int rc, std::uint64_t size_after) {
  return fmt::format("{} {} rc={} size={}\n", op.number, op_name(op.kind), rc, size_after);
}

std::string format_read_line(const Op& op, int rc, std::uint64_t size_after,
                             std::span<const std::uint8_t> data) {
  return fmt::format("{} {} rc={} size={} len={} fnv64={:016x}\n", op.number, op_name(op.kind),
                     rc, size_after, data.size(), fnv1a64(data));
}

std::string format_final_line(std::span<const std::uint8_t> contents) {
  return fmt::format("final size={} fnv64={:016x}\n", contents.size(), fnv1a64(contents));
}

std::string run_transcript(const std::vector<Op>& ops, Target& target) {
  std::string out;
  for (const Op& op : ops) {
    // truncate's A0 is always 0 and unused; its A1 is the new size.
    const bool in_range = op.kind == OpKind::truncate
                              ? fits(0, op.length)
                              : fits(op.offset, op.length) &&
                                    (op.kind != OpKind::copy_range || fits(op.dest, op.length));
    target.before_op(op);
    if (is_read(op.kind)) {
      ReadResult r;
      if (!in_range) {
        r.rc = -EINVAL;
      } else if (op.length > 0 && op.offset < target.size()) {
        const std::uint64_t n = std::min(op.length, target.size() - op.offset);
        const Access access = op.kind == OpKind::mapread ? Access::mapped : Access::buffered;
        r = target.read(op.offset, n, access);
      }
      out += format_read_line(op, r.rc, target.size(), r.data);
    } else {
      int rc = 0;
      if (!in_range)
        rc = -EINVAL;
      else if (op.length > 0 || op.kind == OpKind::truncate)
        rc = execute(op, target);
      out += format_op_line(op, rc, target.size());
    }
    if (op.close_open) target.close_open();
    target.after_op(op);
  }
  out += format_final_line(target.final_contents());
  return out;
}

}  // namespace wbsim::fsx
