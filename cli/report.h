//! Human-readable output: the only place that formats findings for people.
#pragma once

#include <cstdio>
#include <string>

#include "sim/run.h"
#include "sim/sweep.h"

namespace wbsim::cli {

std::string format_virtual_time(sim::Time t);
std::string format_rate(double per_second);  // "12.3M"
// The finding block: checker, message, time, step, fiber, details, trace tail.
void print_finding(std::FILE* out, const sim::Finding& f, const sim::RunResult& r);

}  // namespace wbsim::cli
