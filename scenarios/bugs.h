//! The injectable historical bugs (`--bug NAME`, `wbsim bugs`).
//!
//! Each entry re-creates one real kernel mistake in the model, off by
//! default; the model declares them with WBSIM_BUG (sim/bug_switch.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace wbsim::scenarios {

struct BugInfo {
  std::string name;
  std::string scenarios;  // glob of the scenarios that expose it
  std::string checker;    // the checker that must fire
  std::string fix;        // title of the kernel fix
};

const std::vector<BugInfo>& known_bugs();
const BugInfo* find_bug(std::string_view name);

}  // namespace wbsim::scenarios
