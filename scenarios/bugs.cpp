#include "scenarios/bugs.h"

#include "sim/bug_switch.h"

namespace wbsim::scenarios {

const std::vector<BugInfo>& known_bugs() {
  // The model declares its switches (sim::BugSwitch); this is their view for
  // the command line, built once.
  static const std::vector<BugInfo> bugs = [] {
    std::vector<BugInfo> out;
    for (const sim::BugSwitch* b : sim::bug_switches()) out.push_back({b->name(), b->scenarios(), b->checker(), b->fix()});
    return out;
  }();
  return bugs;
}

const BugInfo* find_bug(std::string_view name) {
  for (const BugInfo& b : known_bugs()) {
    if (b.name == name) return &b;
  }
  return nullptr;
}

}  // namespace wbsim::scenarios
