//! Whole reads and sends on a stream socket, for the sweep's worker
//! processes and their zygote (sim/sweep_isolation.cpp,
//! sim/worker_zygote.cpp).
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>

namespace wbsim::sim {

// Reads exactly `n` bytes; false at end of file or on an error.
inline bool read_exact(int fd, void* buf, std::size_t n) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

// Sends all `n` bytes. MSG_NOSIGNAL: a peer that died must not take the
// sender with it (SIGPIPE).
inline bool send_all(int fd, const void* buf, std::size_t n) {
  const auto* p = static_cast<const char*>(buf);
  while (n > 0) {
    const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

}  // namespace wbsim::sim
