//! A run's result as bytes, for a sweep whose seeds run in worker
//! processes (sim/sweep_isolation.h): what the sweep and its reports read
//! of a RunResult, encoded by the worker and decoded by the sweep.
//!
//! Not covered: what only replay, shrink and the pictures read (trace
//! records with their names, divergence, choice info); those run in the
//! process that asks for them.
#pragma once

#include <string>
#include <string_view>

#include "sim/run.h"

namespace wbsim::sim {

std::string encode_run(const RunResult& r);
// False when `bytes` is not a whole encode_run() output.
bool decode_run(std::string_view bytes, RunResult* out);

}  // namespace wbsim::sim
