#include "sim/bug_switch.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "sim/scheduler.h"

namespace wbsim::sim {

namespace {

struct Registry {
  std::vector<const BugSwitch*> bugs;
  bool sealed = false;
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void seal_bug_switches() {
  static std::once_flag once;
  std::call_once(once, [] {
    Registry& r = registry();
    std::sort(r.bugs.begin(), r.bugs.end(),
              [](const BugSwitch* a, const BugSwitch* b) { return std::strcmp(a->name(), b->name()) < 0; });
    for (std::size_t i = 1; i < r.bugs.size(); ++i) {
      if (std::strcmp(r.bugs[i - 1]->name(), r.bugs[i]->name()) == 0) {
        std::fprintf(stderr, "wbsim: bug switch '%s' declared twice\n", r.bugs[i]->name());
        std::abort();
      }
    }
    for (std::size_t i = 0; i < r.bugs.size(); ++i) r.bugs[i]->index_ = static_cast<std::uint32_t>(i);
    r.sealed = true;
  });
}

BugSwitch::BugSwitch(const char* name, const char* scenarios, const char* checker, const char* fix)
    : name_(name), scenarios_(scenarios), checker_(checker), fix_(fix) {
  Registry& r = registry();
  if (r.sealed) {
    std::fprintf(stderr, "wbsim: bug switch '%s' registered after start-up\n", name);
    std::abort();
  }
  r.bugs.push_back(this);
}

std::span<const BugSwitch* const> bug_switches() {
  seal_bug_switches();
  return registry().bugs;
}

std::uint32_t BugSwitch::index() const {
  seal_bug_switches();
  return index_;
}

const BugSwitch* find_bug_switch(std::string_view name) {
  for (const BugSwitch* b : bug_switches()) {
    if (name == b->name()) return b;
  }
  return nullptr;
}

bool bug(const BugSwitch& b) { return Scheduler::current().bug_enabled(b.index()); }

}  // namespace wbsim::sim
