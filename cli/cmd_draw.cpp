// wbsim draw FILE [--step N] [--svg OUT]: the failure file's run replayed
// with its full trace, and its state at a step drawn (cli/picture.h).
#include <fmt/format.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/picture.h"

namespace wbsim::cli {

int cmd_draw(const DrawArgs& args) {
  const ReplayedFile replayed = replay_with_full_trace(args.file);
  const sim::RunResult& r = replayed.result;
  if (args.step != 0 && (r.trace_records.empty() || args.step > r.trace_records.back().step))
    throw UsageError(fmt::format("--step {}: the run ends at step {}", args.step,
                                 r.trace_records.empty() ? 0 : r.trace_records.back().step));
  const Picture p = picture_at(r, args.step);
  fmt::print("{} seed {}{}\n", replayed.scenario, replayed.seed,
             r.finding ? fmt::format(": {} fired at step {}", r.finding->checker, r.steps) : std::string());
  fmt::print("{}", picture_ascii(p));
  if (!args.svg_file.empty()) {
    write_file_atomically(args.svg_file, picture_svg(p));
    fmt::print("svg: {}\n", args.svg_file);
  }
  return kPass;
}

}  // namespace wbsim::cli
