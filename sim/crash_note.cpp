#include "sim/crash_note.h"

#include <signal.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>

#include "sim/scheduler.h"

namespace wbsim::sim {

namespace {

int g_note_fd = -1;
constexpr int kNotedSignals[] = {SIGABRT, SIGFPE, SIGILL};
struct sigaction g_previous[3] = {};

const char* signal_name(int sig) {
  switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGABRT: return "SIGABRT";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    default: return "?";
  }
}

void append(char* buf, std::size_t cap, std::size_t* len, const char* s) {
  for (; *s != '\0' && *len + 1 < cap; ++s) buf[(*len)++] = *s;
  buf[*len] = '\0';
}

void append_number(char* buf, std::size_t cap, std::size_t* len, unsigned v) {
  char digits[16];
  int n = 0;
  do {
    digits[n++] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0 && n < 15);
  char text[16];
  for (int i = 0; i < n; ++i) text[i] = digits[n - 1 - i];
  text[n] = '\0';
  append(buf, cap, len, text);
}

void write_all(const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(g_note_fd, p, n);
    if (w <= 0) return;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

void on_fatal_signal(int sig) {
  note_fatal_signal(sig);
  for (std::size_t i = 0; i < std::size(kNotedSignals); ++i) {
    if (kNotedSignals[i] == sig) sigaction(sig, &g_previous[i], nullptr);
  }
  // Returning re-runs a faulting instruction (SIGFPE, SIGILL) or lets
  // abort() raise again; either way the previous action runs now.
  if (sig == SIGABRT) ::raise(sig);
}

}  // namespace

void send_crash_notes_to(int fd) {
  g_note_fd = fd;
  for (std::size_t i = 0; i < std::size(kNotedSignals); ++i) {
    struct sigaction sa {};
    sa.sa_handler = on_fatal_signal;
    sa.sa_flags = SA_ONSTACK;
    sigemptyset(&sa.sa_mask);
    sigaction(kNotedSignals[i], &sa, &g_previous[i]);
  }
}

void write_crash_note(const char* checker, const char* message) {
  if (g_note_fd < 0) return;
  char frame[1 + sizeof(std::uint64_t) + 1024];
  std::size_t len = 0;
  char body[1024];
  append(body, sizeof body, &len, checker);
  append(body, sizeof body, &len, "\t");
  append(body, sizeof body, &len, message);
  frame[0] = kFrameCrashNote;
  const std::uint64_t n = len;
  std::memcpy(frame + 1, &n, sizeof n);
  std::memcpy(frame + 1 + sizeof n, body, len);
  write_all(frame, 1 + sizeof n + len);
}

void note_fatal_signal(int sig) {
  if (g_note_fd < 0) return;
  char msg[512];
  std::size_t len = 0;
  msg[0] = '\0';
  append(msg, sizeof msg, &len, "signal ");
  append_number(msg, sizeof msg, &len, static_cast<unsigned>(sig));
  append(msg, sizeof msg, &len, " (");
  append(msg, sizeof msg, &len, signal_name(sig));
  append(msg, sizeof msg, &len, ")");
  if (const Scheduler* s = Scheduler::current_or_null()) {
    append(msg, sizeof msg, &len, " in fiber '");
    append(msg, sizeof msg, &len, s->running_fiber_name());
    append(msg, sizeof msg, &len, "'");
  }
  write_crash_note("crash", msg);
}

}  // namespace wbsim::sim
