//! The process that forks a sweep's worker processes.
//!
//! fork() in a process with several threads copies only the calling one:
//! a lock another thread held at that moment (the allocator's, a
//! sanitizer's, a static's guard) stays held in the child for ever, and
//! the child hangs the first time it takes it. A sweep's threads each need
//! a worker, and a new one after each death, while the others run; so
//! they do not fork themselves. A zygote, forked once while the sweep still
//! has one thread, forks every worker on their behalf: it has one thread
//! for ever, so each of its forks is safe. It hands the worker's socket
//! back over its channel (SCM_RIGHTS) and reaps the worker when asked.
#pragma once

#include <sys/types.h>

#include <functional>
#include <mutex>

namespace wbsim::sim {

class WorkerZygote {
 public:
  // Forks the zygote now: call it while this process has one thread.
  // Each worker the zygote forks runs `worker_main(3)`, fd 3 its socket,
  // with only fds 0-2 besides; `worker_main` must not return.
  explicit WorkerZygote(std::function<void(int fd)> worker_main);
  WorkerZygote(const WorkerZygote&) = delete;
  WorkerZygote& operator=(const WorkerZygote&) = delete;
  // Closes the channel: the zygote exits, and is reaped.
  ~WorkerZygote();

  struct Started {
    pid_t pid;
    int fd;  // this process's end of the worker's socket (close-on-exec)
  };
  // Both are safe to call from any thread; they take turns on the channel.
  Started start_worker();
  // Waits for a worker whose socket the caller has closed; its wait status.
  int wait_worker(pid_t pid);

 private:
  std::mutex mu_;
  int fd_ = -1;
  pid_t pid_ = -1;
};

}  // namespace wbsim::sim
