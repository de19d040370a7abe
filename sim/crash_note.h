//! Last words of a worker process that dies running a seed.
//!
//! A sweep that runs its seeds in worker processes (sim/sweep_isolation.h)
//! learns from the exit status that a worker died, but not in which fiber
//! or of what. A worker names a file descriptor here; the fatal-signal
//! handlers then write one frame to it, "CHECKER\tMESSAGE", with write(2)
//! only, before the process dies (or a sanitizer prints its report).
//!
//! Not covered: deaths no handler sees (SIGKILL, the OOM killer, _exit
//! from a sanitizer); the sweep names those by their exit status.
#pragma once

namespace wbsim::sim {

// The frame kinds on a worker's result pipe.
inline constexpr char kFrameResult = 'R';
inline constexpr char kFrameCrashNote = 'C';

// From now on, fatal signals in this process write a crash note to `fd`
// (SIGSEGV and SIGBUS through the stack-overflow handler, SIGABRT, SIGFPE
// and SIGILL here), and then take their previous action.
void send_crash_notes_to(int fd);
// Writes one crash note frame, if a descriptor was named. Async-signal-safe.
void write_crash_note(const char* checker, const char* message);
// "signal 11 (SIGSEGV) in fiber 'NAME'" as a crash note. Async-signal-safe
// but for the fiber name, read in place.
void note_fatal_signal(int sig);

}  // namespace wbsim::sim
