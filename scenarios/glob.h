//! Scenario name globs: `*` matches any run of characters, `?` one.
#pragma once

#include <string_view>

namespace wbsim::scenarios {

bool glob_match(std::string_view glob, std::string_view text);

}  // namespace wbsim::scenarios
