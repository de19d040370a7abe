// libFuzzer target: the argument parsers a user types numbers and patterns
// into: seeds (--seed, --seeds, ...), shards (--shard I/N) and scenario
// globs (--scenario). The first byte picks the parser. A seed that parses
// prints back to itself; a shard has index < count; the glob matcher agrees
// with a plain recursive one.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "cli/number_args.h"
#include "scenarios/glob.h"

using namespace wbsim;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

// The obvious matcher, exponential but fine on short inputs.
bool reference_match(std::string_view g, std::string_view t) {
  if (g.empty()) return t.empty();
  if (g[0] == '*') return reference_match(g.substr(1), t) || (!t.empty() && reference_match(g, t.substr(1)));
  if (t.empty()) return false;
  return (g[0] == '?' || g[0] == t[0]) && reference_match(g.substr(1), t.substr(1));
}

void fuzz_seed(const std::string& text) {
  try {
    const std::uint64_t v = cli::parse_seed("--seed", text);
    require(cli::parse_seed("--seed", fmt::format("{}", v)) == v);
  } catch (const cli::UsageError& e) {
    require(std::string_view(e.what()).find("--seed") == 0);
  }
}

void fuzz_shard(const std::string& text) {
  try {
    const cli::Shard s = cli::parse_shard(text);
    require(s.count >= 1 && s.index < s.count);
  } catch (const cli::UsageError& e) {
    require(std::string_view(e.what()).find("--shard") == 0);
  }
}

void fuzz_glob(std::string_view in) {
  // GLOB '\0' TEXT, each cut short so that the reference stays fast.
  const std::size_t nul = in.find('\0');
  const std::string_view glob = in.substr(0, std::min<std::size_t>(nul, 12));
  const std::string_view text = nul == std::string_view::npos ? std::string_view() : in.substr(nul + 1, 24);
  require(scenarios::glob_match(glob, text) == reference_match(glob, text));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 3) {
    case 0: fuzz_seed(rest); break;
    case 1: fuzz_shard(rest); break;
    default: fuzz_glob(rest); break;
  }
  return 0;
}
