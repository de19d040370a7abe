#include "scenarios/bugs.h"

namespace wbsim::scenarios {

const std::vector<BugInfo>& known_bugs() {
  // No model code carries a historical bug yet.
  static const std::vector<BugInfo> bugs;
  return bugs;
}

const BugInfo* find_bug(std::string_view name) {
  for (const BugInfo& b : known_bugs()) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

}  // namespace wbsim::scenarios
