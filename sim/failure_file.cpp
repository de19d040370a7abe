#include "sim/failure_file.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "sim/atomic_file.h"

namespace wbsim::sim {

namespace {

constexpr const char* kMagic = "wbsim-failure 2";
constexpr const char* kMagicV1 = "wbsim-failure 1";

std::uint64_t checksum(std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

bool parse_u64(std::string_view s, std::uint64_t* out, int base = 10) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out, base);
  return ec == std::errc{} && end == s.data() + s.size();
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

}  // namespace

std::string format_failure_file(const FailureRecord& r) {
  std::string body = fmt::format(
      "{}\nscenario: {}\nseed: {}\nstrategy: {}\nbugs: {}\nfaults: {}\nchecker: {}\nmessage: {}\n"
      "time-ns: {}\nstep: {}\ntrace-hash: {:016x}\ntape: {}\n",
      kMagic, r.scenario, r.seed, r.strategy.to_string(), join(r.bugs), r.faults ? "on" : "off", r.checker,
      one_line(r.message), r.time, r.step, r.trace_hash, r.tape.encode());
  body += fmt::format("wbsim: {}\ncommit: {}\noptions: {}\n", one_line(r.wbsim_version), one_line(r.commit),
                      one_line(r.options));
  if (!r.script.empty()) body += fmt::format("script: {}\nscript-hash: {}\n", one_line(r.script), one_line(r.script_hash));
  if (!r.fault_sites.empty()) body += fmt::format("fault-sites: {}\n", one_line(r.fault_sites));
  if (!r.params.empty()) body += fmt::format("params: {}\n", one_line(r.params));
  return body + fmt::format("checksum: {:016x}\n", checksum(body));
}

std::optional<FailureRecord> parse_failure_file(const std::string& text, std::string* error) {
  FailureRecord r;
  std::size_t line_no = 0;
  std::size_t pos = 0;
  std::size_t body_end = std::string::npos;
  bool v1 = false;
  static const char* const kKeys[] = {"scenario", "seed",       "strategy", "bugs",  "faults",
                                      "checker",  "message",    "time-ns",  "step",  "trace-hash",
                                      "tape",     "checksum",   "wbsim",    "commit", "options",
                                      "script",   "script-hash", "fault-sites", "params"};
  constexpr std::size_t kFirstV2Key = 12;
  // Keys from here on are optional (a script's failure, a composed run).
  constexpr std::size_t kFirstOptionalKey = 15;
  std::vector<bool> seen(std::size(kKeys), false);
  auto fail = [&](std::string why) {
    *error = fmt::format("{}: {}", line_no, why);
    return std::nullopt;
  };
  while (pos < text.size()) {
    const std::size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) {
      ++line_no;
      return fail("last line is not terminated (truncated file?)");
    }
    const std::string_view line(text.data() + pos, eol - pos);
    const std::size_t line_start = pos;
    pos = eol + 1;
    ++line_no;
    if (line_no == 1) {
      v1 = line == kMagicV1;
      if (line != kMagic && !v1) return fail(fmt::format("not a wbsim failure file (expected '{}')", kMagic));
      continue;
    }
    const std::size_t colon = line.find(": ");
    const std::string_view key = line.substr(0, colon == std::string_view::npos ? line.find(':') : colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 2);
    std::size_t k = 0;
    while (k < std::size(kKeys) && key != kKeys[k]) ++k;
    if (k == std::size(kKeys)) return fail(fmt::format("unknown key '{}'", key));
    if (seen[k]) return fail(fmt::format("key '{}' given twice", key));
    seen[k] = true;
    std::string err;
    if (v1 && k >= kFirstV2Key) return fail(fmt::format("key '{}' in a format-1 file", key));
    if (key == "wbsim") {
      r.wbsim_version = value;
    } else if (key == "commit") {
      r.commit = value;
    } else if (key == "options") {
      r.options = value;
    } else if (key == "script") {
      if (value.empty()) return fail("empty script");
      r.script = value;
    } else if (key == "script-hash") {
      std::uint64_t h = 0;
      if (value.size() != 16 || !parse_u64(value, &h, 16))
        return fail(fmt::format("script-hash '{}' is not 16 hex digits", value));
      r.script_hash = value;
    } else if (key == "fault-sites") {
      if (value.empty()) return fail("empty fault-sites");
      r.fault_sites = value;
      r.fault_sites_line = line_no;
    } else if (key == "params") {
      if (value.empty()) return fail("empty params");
      r.params = value;
      r.params_line = line_no;
    } else if (key == "scenario") {
      if (value.empty()) return fail("empty scenario");
      r.scenario = value;
    } else if (key == "seed") {
      if (!parse_u64(value, &r.seed)) return fail(fmt::format("seed '{}' is not a whole number", value));
    } else if (key == "strategy") {
      auto spec = StrategySpec::parse(value, &err);
      if (!spec) return fail(fmt::format("strategy {}", err));
      r.strategy = *spec;
    } else if (key == "bugs") {
      while (!value.empty()) {
        const std::size_t comma = value.find(',');
        r.bugs.emplace_back(value.substr(0, comma));
        value = comma == std::string_view::npos ? std::string_view{} : value.substr(comma + 1);
      }
    } else if (key == "faults") {
      if (value != "on" && value != "off") return fail(fmt::format("faults '{}' is neither on nor off", value));
      r.faults = value == "on";
    } else if (key == "checker") {
      r.checker = value;
    } else if (key == "message") {
      r.message = value;
    } else if (key == "time-ns") {
      if (!parse_u64(value, &r.time)) return fail(fmt::format("time-ns '{}' is not a whole number", value));
    } else if (key == "step") {
      if (!parse_u64(value, &r.step)) return fail(fmt::format("step '{}' is not a whole number", value));
    } else if (key == "trace-hash") {
      if (value.size() != 16 || !parse_u64(value, &r.trace_hash, 16))
        return fail(fmt::format("trace-hash '{}' is not 16 hex digits", value));
    } else if (key == "tape") {
      auto tape = Tape::decode(value, &err);
      if (!tape) return fail(fmt::format("tape: {}", err));
      r.tape = std::move(*tape);
    } else if (key == "checksum") {
      std::uint64_t sum = 0;
      if (value.size() != 16 || !parse_u64(value, &sum, 16))
        return fail(fmt::format("checksum '{}' is not 16 hex digits", value));
      if (sum != checksum(std::string_view(text.data(), line_start)))
        return fail("checksum does not match the file's contents (edited or corrupt)");
      body_end = pos;
      if (body_end != text.size()) {
        ++line_no;
        return fail("text after the checksum line");
      }
    }
  }
  if (line_no == 0) return fail("empty file");
  r.format = v1 ? 1 : 2;
  for (std::size_t k = 0; k < std::size(kKeys); ++k) {
    if (k >= kFirstOptionalKey) continue;
    if (!seen[k] && !(v1 && k >= kFirstV2Key)) return fail(fmt::format("missing key '{}' (truncated file?)", kKeys[k]));
  }
  return r;
}

std::optional<std::string> write_failure_file(const std::string& dir, const FailureRecord& r, std::string* error) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    *error = fmt::format("{}: cannot create directory: {}", dir, ec.message());
    return std::nullopt;
  }
  std::string stem = r.scenario;
  for (char& c : stem) {
    if (c == '/' || c == ' ') c = '_';
  }
  const std::string name = fmt::format("{}-seed{}-{}.wbsim", stem, r.seed, r.checker);
  const std::string path = (std::filesystem::path(dir) / name).string();
  if (!write_file_atomically(path, format_failure_file(r), error)) return std::nullopt;
  return path;
}

std::optional<FailureRecord> read_failure_file(const std::string& path, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = fmt::format("{}: cannot read: {}", path, std::strerror(errno));
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string err;
  auto record = parse_failure_file(ss.str(), &err);
  if (!record) *error = fmt::format("{}:{}", path, err);
  return record;
}

}  // namespace wbsim::sim
