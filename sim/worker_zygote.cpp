#include "sim/worker_zygote.h"

#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

#include "sim/socket_io.h"

namespace wbsim::sim {

namespace {

// The channel's messages: a request {op, pid}; the answer to kStart is
// {pid} with the worker's socket attached, to kWait {status}.
constexpr char kStart = 'S';
constexpr char kWait = 'W';

struct ZygoteRequest {
  char op;
  pid_t pid;
};

// One message of `n` bytes with a descriptor attached.
bool send_with_fd(int channel, const void* buf, std::size_t n, int fd) {
  iovec iov{const_cast<void*>(buf), n};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof fd);
  for (;;) {
    const ssize_t w = ::sendmsg(channel, &msg, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    return w == static_cast<ssize_t>(n);
  }
}

// The answer to kStart: `n` bytes and the descriptor, or -1.
int recv_with_fd(int channel, void* buf, std::size_t n) {
  iovec iov{buf, n};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  for (;;) {
    const ssize_t r = ::recvmsg(channel, &msg, MSG_CMSG_CLOEXEC);
    if (r < 0 && errno == EINTR) continue;
    if (r != static_cast<ssize_t>(n)) return -1;
    break;
  }
  const cmsghdr* c = CMSG_FIRSTHDR(&msg);
  if (c == nullptr || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) return -1;
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

// The zygote: fd 3 its channel, one thread, until the channel closes.
[[noreturn]] void zygote_main(const std::function<void(int)>& worker_main) {
  for (;;) {
    ZygoteRequest rq{};
    if (!read_exact(3, &rq, sizeof rq)) ::_exit(0);
    if (rq.op == kWait) {
      int status = 0;
      while (::waitpid(rq.pid, &status, 0) < 0 && errno == EINTR) {
      }
      if (!send_all(3, &status, sizeof status)) ::_exit(0);
      continue;
    }
    if (rq.op != kStart) ::_exit(1);
    int pair[2];
    pid_t pid = -1;
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0) {
      pid = ::fork();
      if (pid == 0) {
        // The worker keeps its own socket only: not the zygote's channel.
        if (::dup2(pair[1], 3) < 0) ::_exit(1);
        ::close_range(4, ~0U, 0);
        worker_main(3);
        ::_exit(1);
      }
      ::close(pair[1]);
    }
    // A failed fork answers pid -1 with no descriptor, as an error.
    const bool sent = pid > 0 ? send_with_fd(3, &pid, sizeof pid, pair[0]) : send_all(3, &pid, sizeof pid);
    if (pid > 0) ::close(pair[0]);
    if (!sent) ::_exit(0);
  }
}

}  // namespace

WorkerZygote::WorkerZygote(std::function<void(int)> worker_main) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw std::runtime_error(fmt::format("cannot make the worker zygote's socket: {}", std::strerror(errno)));
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(fmt::format("cannot start the worker zygote: {}", std::strerror(errno)));
  if (pid == 0) {
    if (::dup2(fds[1], 3) < 0) ::_exit(1);
    ::close_range(4, ~0U, 0);
    zygote_main(worker_main);
  }
  ::close(fds[1]);
  fd_ = fds[0];
  pid_ = pid;
}

WorkerZygote::~WorkerZygote() {
  ::close(fd_);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

WorkerZygote::Started WorkerZygote::start_worker() {
  std::lock_guard lock(mu_);
  const ZygoteRequest rq{kStart, 0};
  pid_t pid = -1;
  int fd = -1;
  if (send_all(fd_, &rq, sizeof rq)) fd = recv_with_fd(fd_, &pid, sizeof pid);
  if (fd < 0) throw std::runtime_error("cannot start a worker process: the worker zygote could not fork one");
  return {pid, fd};
}

int WorkerZygote::wait_worker(pid_t pid) {
  std::lock_guard lock(mu_);
  const ZygoteRequest rq{kWait, pid};
  int status = 0;
  if (!send_all(fd_, &rq, sizeof rq) || !read_exact(fd_, &status, sizeof status))
    throw std::runtime_error("the worker zygote is gone: cannot learn how a worker ended");
  return status;
}

}  // namespace wbsim::sim
