#include "sim/assert.h"

#include <cstdio>
#include <cstdlib>

#include "sim/scheduler.h"

namespace wbsim::sim {

bool assertions_suspended() {
  const Scheduler* s = Scheduler::current_or_null();
  return s != nullptr && s->tearing_down();
}

void check_failed(const char* checker, std::string message, std::source_location loc) {
  Scheduler* s = Scheduler::current_or_null();
  if (s == nullptr) {
    std::fprintf(stderr, "wbsim: %s: %s at %s:%u\n", checker, message.c_str(), loc.file_name(), loc.line());
    std::abort();
  }
  Finding f;
  f.checker = checker;
  f.message = std::move(message);
  f.where = fmt::format("{}:{}", loc.file_name(), loc.line());
  s->fail(std::move(f));
}

void assertion_failed(std::string message, std::source_location loc) {
  Scheduler* s = Scheduler::current_or_null();
  if (s == nullptr) {
    std::fprintf(stderr, "wbsim: %s at %s:%u\n", message.c_str(), loc.file_name(), loc.line());
    std::abort();
  }
  Finding f;
  f.checker = "assertion";
  f.message = std::move(message);
  f.where = fmt::format("{}:{}", loc.file_name(), loc.line());
  s->fail(std::move(f));
}

}  // namespace wbsim::sim
