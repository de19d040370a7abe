#include "sim/trace.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

#include "sim/coverage.h"
#include "sim/fault.h"

namespace wbsim::sim {

namespace {

constexpr const char* kSimSymbols[] = {
    "SPAWN", "EXIT ", "BLOCK", "WAKE ", "TMOUT", "CLOCK",
    "LOCK ", "UNLCK", "RLOCK", "RUNLK", "SEMDN", "SEMUP", "CMPLT",
    "WAKUP", "BITWT", "BITWK", "WQUE ", "WSTRT", "WEND ", "KSTOP",
    "FAULT", "DRAW ", "KILL ", "MARK ", "FAIL ", "DOWNG",
};
static_assert(std::size(kSimSymbols) == static_cast<std::size_t>(Reason::downgrade) + 1,
              "every runtime reason needs a symbol");

constexpr std::size_t kMaxReasons = 1024;

std::array<const char*, kMaxReasons>& symbol_table() {
  static std::array<const char*, kMaxReasons> table = [] {
    std::array<const char*, kMaxReasons> t{};
    for (std::size_t i = 0; i < std::size(kSimSymbols); ++i) t[i] = kSimSymbols[i];
    return t;
  }();
  return table;
}

}  // namespace

const char* reason_symbol(std::uint16_t reason) {
  if (reason >= kMaxReasons) return "?????";
  const char* s = symbol_table()[reason];
  return s ? s : "?????";
}

void register_reason_symbols(std::uint16_t first, std::span<const char* const> symbols) {
  auto& table = symbol_table();
  if (first < static_cast<std::uint16_t>(Reason::sim_reasons_end) ||
      first + symbols.size() > kMaxReasons) {
    std::fprintf(stderr, "wbsim: reason codes %u.. collide with the runtime's\n", first);
    std::abort();
  }
  for (std::size_t i = 0; i < symbols.size(); ++i) {
    if (table[first + i] != nullptr) {
      std::fprintf(stderr, "wbsim: reason code %zu registered twice\n", first + i);
      std::abort();
    }
    table[first + i] = symbols[i];
  }
}

std::vector<TraceRecord> Trace::tail() const {
  std::vector<TraceRecord> out;
  const std::uint64_t n = count_ < kRingSize ? count_ : kRingSize;
  out.reserve(n);
  for (std::uint64_t i = count_ - n; i < count_; ++i) out.push_back(ring_[i % kRingSize]);
  return out;
}

std::uint64_t Trace::signature_since(std::uint64_t first) const {
  if (count_ - first > kRingSize) return mix(count_, 0x5851f42d4c957f2dULL);
  std::uint64_t h = count_ - first;
  for (std::uint64_t i = first; i < count_; ++i) {
    const TraceRecord& r = ring_[i % kRingSize];
    h = mix(h, r.a * 0x165667b19e3779f9ULL + r.b * 0xd6e8feb86659fd93ULL +
                   ((std::uint64_t{r.fiber} << 32 | r.object) ^ (std::uint64_t{r.reason} << 48)) *
                       0xff51afd7ed558ccdULL);
  }
  return h;
}

std::string format_trace_header() {
  return fmt::format("{:>16} {:>9} {:<16} {:<5} {:<22} {}", "time_us", "step", "fiber", "event",
                     "object", "a b");
}

std::string format_trace_line(const TraceRecord& r, const TraceNames& names) {
  const std::string fiber =
      r.fiber == kNoFiber ? std::string("-") : fmt::format("{}:{}", r.fiber, names.fiber_name(r.fiber));
  const std::string object = r.object == kNoObject ? std::string("-") : names.object_name(r.object);
  // Columns are padded, never cut: a long name shifts the rest of its line.
  std::string line = fmt::format("{:>12}.{:03} {:>9} {:<16} {:<5} {:<22} {} {}", r.time / 1000, r.time % 1000,
                                 r.step, fiber, reason_symbol(r.reason), object, r.a, r.b);
  // A mark or a fault names itself (a is its index).
  if (r.reason == static_cast<std::uint16_t>(Reason::mark) && r.a < coverage_marks().size())
    line += fmt::format(" {}", coverage_marks()[r.a]->name());
  if (r.reason == static_cast<std::uint16_t>(Reason::fault) && r.a < fault_sites().size())
    line += fmt::format(" {}", fault_sites()[r.a]->name());
  return line;
}

}  // namespace wbsim::sim
