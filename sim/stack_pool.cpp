#include "sim/stack_pool.h"

#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "sim/crash_note.h"
#include "sim/scheduler.h"

namespace wbsim::sim {

namespace {

constexpr std::size_t kMaxPooled = 256;
constexpr std::size_t kAltStackBytes = 64 * 1024;

thread_local StackPool* t_pool = nullptr;
thread_local std::string t_crash_context;

void write_str(const char* s) {
  ssize_t ignored = ::write(STDERR_FILENO, s, std::strlen(s));
  (void)ignored;
}

// The actions in place before ours (AddressSanitizer's, when it runs):
// a fault that is not a guard-page hit is theirs to report.
struct sigaction g_previous_segv {};
struct sigaction g_previous_bus {};

void on_segv(int sig, siginfo_t* info, void*) {
  if (t_pool != nullptr && t_pool->in_guard_page(info->si_addr)) {
    // Not async-signal-safe in general, but the process is about to exit and
    // the fiber that overflowed is not touching these strings.
    write_str("wbsim: FAIL stack-overflow: fiber ");
    if (const Scheduler* s = Scheduler::current_or_null()) {
      write_str("'");
      write_str(s->fiber_name(s->current_fiber()).c_str());
      write_str("'");
    }
    char line[96];
    std::snprintf(line, sizeof line, " overflowed its %zu KiB stack (guard page hit)\n",
                  t_pool->stack_bytes() / 1024);
    write_str(line);
    write_str(t_crash_context.c_str());
    char note[256];
    std::snprintf(note, sizeof note, "fiber '%s' overflowed its %zu KiB stack (guard page hit)",
                  Scheduler::current_or_null() != nullptr ? Scheduler::current_or_null()->running_fiber_name() : "?",
                  t_pool->stack_bytes() / 1024);
    write_crash_note("stack-overflow", note);
    _exit(1);
  }
  note_fatal_signal(sig);
  // Not ours: back to the previous action; returning re-runs the faulting
  // instruction, which then reaches it (ASan's report, or the default dump).
  sigaction(sig, sig == SIGBUS ? &g_previous_bus : &g_previous_segv, nullptr);
  // A signal sent rather than raised by a fault does not come back by
  // itself: send it again (it is delivered when this handler returns).
  if (info->si_code <= 0) ::raise(sig);
}

void install_handler_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa {};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_previous_segv);
    sigaction(SIGBUS, &sa, &g_previous_bus);
  });
}

// This thread's alternate signal stack, if wbsim installed it. A sanitizer
// runtime installs its own on every thread and unmaps it at thread exit, so
// an existing one is left alone; ours is switched off and unmapped when the
// thread ends (after which a signal runs on the thread's own stack).
class AltStack {
 public:
  AltStack() {
    stack_t current{};
    if (sigaltstack(nullptr, &current) != 0 || (current.ss_flags & SS_DISABLE) == 0) return;
    void* mem = mmap(nullptr, kAltStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return;
    stack_t ss{};
    ss.ss_sp = mem;
    ss.ss_size = kAltStackBytes;
    if (sigaltstack(&ss, nullptr) != 0) {
      munmap(mem, kAltStackBytes);
      return;
    }
    mem_ = mem;
  }
  ~AltStack() {
    if (mem_ == nullptr) return;
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    sigaltstack(&off, nullptr);
    munmap(mem_, kAltStackBytes);
  }
  AltStack(const AltStack&) = delete;
  AltStack& operator=(const AltStack&) = delete;

 private:
  void* mem_ = nullptr;
};

void install_alt_stack() { thread_local AltStack alt; }

}  // namespace

void set_crash_context(std::string text) { t_crash_context = std::move(text); }

StackPool& StackPool::for_this_thread() {
  thread_local StackPool pool(kDefaultStackBytes);
  if (t_pool == nullptr) {
    install_handler_once();
    install_alt_stack();
    t_pool = &pool;
  }
  return pool;
}

StackPool::StackPool(std::size_t stack_bytes)
    : stack_bytes_(stack_bytes), page_bytes_(static_cast<std::size_t>(sysconf(_SC_PAGESIZE))) {}

StackPool::~StackPool() {
  if (t_pool == this) t_pool = nullptr;
  for (const Region& r : regions_) munmap(r.base, r.bytes);
}

boost::context::stack_context StackPool::allocate() {
  char* base = nullptr;
  if (!free_.empty()) {
    base = free_.back();
    free_.pop_back();
  } else {
    const std::size_t bytes = stack_bytes_ + page_bytes_;
    void* mem = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) {
      write_str("wbsim: cannot map a fiber stack\n");
      std::abort();
    }
    base = static_cast<char*>(mem);
    mprotect(base, page_bytes_, PROT_NONE);
    regions_.push_back({base, bytes});
  }
  boost::context::stack_context sctx;
  sctx.size = stack_bytes_;
  sctx.sp = base + page_bytes_ + stack_bytes_;
  return sctx;
}

void StackPool::deallocate(boost::context::stack_context& sctx) {
  char* base = static_cast<char*>(sctx.sp) - stack_bytes_ - page_bytes_;
  if (free_.size() < kMaxPooled) {
    free_.push_back(base);
    return;
  }
  for (auto it = regions_.begin(); it != regions_.end(); ++it) {
    if (it->base == base) {
      munmap(it->base, it->bytes);
      regions_.erase(it);
      return;
    }
  }
}

bool StackPool::in_guard_page(const void* addr) const {
  const char* p = static_cast<const char*>(addr);
  for (const Region& r : regions_) {
    if (p >= r.base && p < r.base + page_bytes_) return true;
  }
  return false;
}

}  // namespace wbsim::sim
