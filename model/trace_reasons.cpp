#include "model/trace_reasons.h"

namespace wbsim::model {

namespace {

constexpr const char* kSymbols[] = {
    "FDIRT", "FCLDT", "FRDRT", "FSTWB", "FENWB", "FLOCK", "FUNLK", "FADD ", "FDEL ", "WREQ ",
    "WDONE", "PREP ", "SUBMT", "TERM ", "RETRY", "DISCD", "COLCT", "CGAP ", "PAUSE", "UNPAU",
    "SRVWR", "SRVSZ", "CHWR ", "CHWDR", "MAPER", "ISIZE", "ZPNT ", "SRVOP",
    "FQUE ", "FREAD", "FEND ", "FCONN", "NFOLI",
    "PLRQ ", "PLRW ", "PLMD ", "PLWB ", "PLAL ", "PLFS ", "PLRS ", "FMIGR", "SRVKY",
};
static_assert(std::size(kSymbols) ==
              static_cast<std::size_t>(Ev::end) - static_cast<std::size_t>(sim::Reason::sim_reasons_end));

}  // namespace

void register_trace_reasons() {
  // A function-local static: registered once, thread-safely, by the first
  // World of the process (a static initialiser in a static library could be
  // dropped by the linker).
  static const bool registered = [] {
    sim::register_reason_symbols(static_cast<std::uint16_t>(sim::Reason::sim_reasons_end), kSymbols);
    return true;
  }();
  (void)registered;
}

}  // namespace wbsim::model
