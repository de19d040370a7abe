// libFuzzer target: the fsx operation-log parser (fsx/ops.cpp). Any text
// either parses or is refused with a line number inside the text; every
// parsed operation prints (format_op) as a line that parses back to it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "fsx/ops.h"

using namespace wbsim;

namespace {

void require(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = fsx::parse_ops(text, "fuzz.fsxops");
  if (const auto* error = std::get_if<fsx::ParseError>(&parsed)) {
    require(error->line >= 1);
    require(!error->reason.empty());
    return 0;
  }
  for (const fsx::Op& op : std::get<std::vector<fsx::Op>>(parsed)) {
    require(op.line >= 1);
    const auto again = fsx::parse_ops(fsx::format_op(op) + "\n", "again.fsxops");
    const auto* ops = std::get_if<std::vector<fsx::Op>>(&again);
    require(ops != nullptr && ops->size() == 1);
    const fsx::Op& back = ops->front();
    require(back.kind == op.kind && back.offset == op.offset && back.length == op.length);
    require(back.dest == op.dest && back.size_before == op.size_before);
    require(back.keep_size == op.keep_size && back.close_open == op.close_open);
  }
  return 0;
}
