// libFuzzer target: the failure-file parser (sim/failure_file.cpp). Any
// text either parses or is refused with a reason; a parsed record formats
// to a file that parses to the same record (the checksum included).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "sim/failure_file.h"

using namespace wbsim;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  std::string error;
  const auto record = sim::parse_failure_file(text, &error);
  if (!record) {
    if (error.empty()) std::abort();
    return 0;
  }
  const std::string formatted = sim::format_failure_file(*record);
  const auto again = sim::parse_failure_file(formatted, &error);
  if (!again || sim::format_failure_file(*again) != formatted) std::abort();
  return 0;
}
