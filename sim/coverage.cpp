#include "sim/coverage.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <vector>

#include "sim/scheduler.h"

namespace wbsim::sim {

// The registry of every mark in the program. Filled by static initialisation
// (single-threaded); sealed once, on first use, possibly from several sweep
// threads at a time, hence the once_flag.
struct CoverageRegistry {
  std::vector<const CoverageMark*> marks;
  std::once_flag seal_once;
  std::atomic<bool> sealed{false};  // sorted and indexed; no more registrations

  static CoverageRegistry& get() {
    static CoverageRegistry r;
    return r;
  }

  void seal() {
    std::call_once(seal_once, [this] {
      std::sort(marks.begin(), marks.end(), [](const CoverageMark* a, const CoverageMark* b) {
        return std::strcmp(a->name(), b->name()) < 0;
      });
      for (std::size_t i = 1; i < marks.size(); ++i) {
        if (std::strcmp(marks[i - 1]->name(), marks[i]->name()) == 0) {
          std::fprintf(stderr, "wbsim: coverage mark '%s' declared twice\n", marks[i]->name());
          std::abort();
        }
      }
      for (std::size_t i = 0; i < marks.size(); ++i)
        marks[i]->index_.store(static_cast<std::uint32_t>(i), std::memory_order_release);
      sealed.store(true, std::memory_order_release);
    });
  }
};

CoverageMark::CoverageMark(const char* name, const char* description, const char* scope)
    : name_(name), description_(description), scope_(scope) {
  CoverageRegistry& r = CoverageRegistry::get();
  if (r.sealed.load(std::memory_order_acquire)) {
    std::fprintf(stderr, "wbsim: coverage mark '%s' registered after start-up\n", name);
    std::abort();
  }
  r.marks.push_back(this);
}

std::uint32_t CoverageMark::index_after_seal() const {
  CoverageRegistry::get().seal();
  return index_.load(std::memory_order_acquire);
}

std::span<const CoverageMark* const> coverage_marks() {
  CoverageRegistry& r = CoverageRegistry::get();
  r.seal();
  return r.marks;
}

void mark(const CoverageMark& m) {
  const std::uint32_t i = m.index();
  Scheduler& sched = Scheduler::current();
  sched.hit_mark(i);
  sched.trace(Reason::mark, kNoObject, i);
}

}  // namespace wbsim::sim
