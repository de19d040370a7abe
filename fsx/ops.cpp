#include "fsx/ops.h"

#include <array>
#include <cerrno>
#include <cstdlib>
#include <optional>

#include <fmt/format.h>

namespace wbsim::fsx {

namespace {

struct OpSpec {
  OpKind kind;
  const char* name;
  int args;  // including the trailing size-before
};

constexpr std::array<OpSpec, 11> kSpecs{{
    {OpKind::read, "read", 3},
    {OpKind::mapread, "mapread", 3},
    {OpKind::write, "write", 3},
    {OpKind::mapwrite, "mapwrite", 3},
    {OpKind::truncate, "truncate", 3},
    {OpKind::fallocate, "fallocate", 3},
    {OpKind::punch_hole, "punch_hole", 3},
    {OpKind::zero_range, "zero_range", 3},
    {OpKind::collapse_range, "collapse_range", 3},
    {OpKind::insert_range, "insert_range", 3},
    {OpKind::copy_range, "copy_range", 4},
}};

const OpSpec* find_spec(std::string_view name) {
  for (const auto& spec : kSpecs)
    if (name == spec.name) return &spec;
  return nullptr;
}

const OpSpec& spec_of(OpKind kind) { return kSpecs[static_cast<std::size_t>(kind)]; }

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    const std::size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

// strtoul(..., 0) on the whole word, as fsx's own replay does, except that a
// minus sign and out-of-range values are rejected: strtoul would wrap them to
// offsets near 2^64 instead of reporting the malformed line.
std::optional<std::uint64_t> parse_number(std::string_view word) {
  if (word.empty() || word.front() == '-') return std::nullopt;
  const std::string text(word);  // strtoull needs a terminator
  char* end = nullptr;
  errno = 0;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 0);
  if (errno == ERANGE || end == text.c_str() || *end != '\0') return std::nullopt;
  return static_cast<std::uint64_t>(value);
}

bool is_flag(std::string_view word) {
  return word == "keep_size" || word == "close_open" || word == "unshare" || word == "*";
}

}  // namespace

const char* op_name(OpKind kind) { return spec_of(kind).name; }

std::string to_string(const ParseError& error) {
  return fmt::format("{}:{}: {}", error.file, error.line, error.reason);
}

std::variant<std::vector<Op>, ParseError> parse_ops(std::string_view text,
                                                    std::string_view filename) {
  std::vector<Op> ops;
  int line_no = 0;
  auto fail = [&](std::string reason) {
    return ParseError{std::string(filename), line_no, std::move(reason)};
  };
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;

    auto words = split_words(line);
    if (words.empty() || words.front().front() == '#') continue;
    if (words.front() == "skip") {
      if (words.size() < 2) return fail("'skip' without an operation");
      continue;
    }

    const OpSpec* spec = find_spec(words.front());
    if (!spec) return fail(fmt::format("unsupported operation '{}'", words.front()));

    std::array<std::uint64_t, 4> args{};
    std::size_t i = 1;
    for (int a = 0; a < spec->args; ++a, ++i) {
      if (i >= words.size() || is_flag(words[i]))
        return fail(fmt::format("'{}' needs {} arguments, got {}", spec->name, spec->args, a));
      auto value = parse_number(words[i]);
      if (!value)
        return fail(fmt::format("invalid number '{}' (argument {} of '{}')", words[i], a + 1,
                                spec->name));
      args[a] = *value;
    }

    Op op;
    op.kind = spec->kind;
    for (; i < words.size(); ++i) {
      const std::string_view w = words[i];
      if (w == "keep_size") {
        op.keep_size = true;
      } else if (w == "close_open") {
        op.close_open = true;
      } else if (w == "unshare" || w == "*") {
        // unshare only matters for reflinked extents; '*' marks an overlap in
        // fsx's own dumps. Neither changes what is executed.
      } else if (parse_number(w)) {
        return fail(fmt::format("unexpected argument '{}': '{}' takes {}", w, spec->name,
                                spec->args));
      } else {
        return fail(fmt::format("unknown flag '{}'", w));
      }
    }

    op.offset = args[0];
    op.length = args[1];
    if (op.kind == OpKind::copy_range) {
      op.dest = args[2];
      op.size_before = args[3];
    } else {
      op.size_before = args[2];
    }
    op.number = ops.size() + 1;
    op.line = line_no;
    ops.push_back(op);
  }
  return ops;
}

std::string format_op(const Op& op) {
  std::string out = fmt::format("{} {:#x} {:#x}", op_name(op.kind), op.offset, op.length);
  if (op.kind == OpKind::copy_range) out += fmt::format(" {:#x}", op.dest);
  out += fmt::format(" {:#x}", op.size_before);
  if (op.keep_size) out += " keep_size";
  if (op.close_open) out += " close_open";
  return out;
}

std::uint8_t pattern_byte(std::uint64_t op_number, std::uint64_t offset) {
  // (k * 131 + o) % 251 + 1, reduced first so huge offsets cannot overflow.
  const std::uint64_t r = ((op_number % 251) * 131 + offset % 251) % 251;
  return static_cast<std::uint8_t>(r + 1);
}

}  // namespace wbsim::fsx
