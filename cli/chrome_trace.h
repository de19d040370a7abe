//! A run's trace as Chrome trace-event JSON (the "JSON Object Format" that
//! chrome://tracing, Perfetto's UI and speedscope load): fibers as threads,
//! their blocked time as slices, netfs subrequests as async slices on one
//! track per stream, folio writeback and dm-ploop requests as async slices,
//! faults as global instant events, every other trace line as an instant
//! event on its fiber.
#pragma once

#include <string>

#include "sim/run.h"

namespace wbsim::cli {

// Needs `r` to hold the full trace (RunRequest::keep_full_trace). The text
// is deterministic: the same run gives the same bytes.
std::string chrome_trace_json(const sim::RunResult& r, const std::string& title);

}  // namespace wbsim::cli
