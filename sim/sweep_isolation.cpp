#include "sim/sweep_isolation.h"

#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "sim/crash_note.h"
#include "sim/run_codec.h"
#include "sim/socket_io.h"
#include "sim/worker_zygote.h"

namespace wbsim::sim {

namespace {

// A request: this header, then `count` seeds (u64 each).
struct Request {
  std::uint64_t target;
  std::uint64_t count;
  std::uint64_t full_trace;
};

constexpr std::uint64_t kMaxBatch = 4096;
constexpr std::size_t kFlushBytes = 64 * 1024;

void append_frame(std::string& out, char kind, const std::string& payload) {
  const std::uint64_t n = payload.size();
  char header[1 + sizeof n];
  header[0] = kind;
  std::memcpy(header + 1, &n, sizeof n);
  out.append(header, sizeof header).append(payload);
}

// One send per frame, or per batch of them: at tens of thousands of seeds
// a second every system call shows.
bool send_frame(int fd, char kind, const std::string& payload) {
  std::string frame;
  append_frame(frame, kind, payload);
  return send_all(fd, frame.data(), frame.size());
}

// The sweep side's reads: one read() takes a whole frame, or several,
// instead of one for the header and one for the payload.
class FrameReader {
 public:
  void reset() {
    begin_ = 0;
    end_ = 0;
  }
  bool read_exact(int fd, void* out, std::size_t n) {
    auto* p = static_cast<char*>(out);
    while (n > 0) {
      if (begin_ == end_) {
        if (n >= buf_.size()) return ::wbsim::sim::read_exact(fd, p, n);
        const ssize_t r = ::read(fd, buf_.data(), buf_.size());
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return false;
        begin_ = 0;
        end_ = static_cast<std::size_t>(r);
      }
      const std::size_t take = std::min(n, end_ - begin_);
      std::memcpy(p, buf_.data() + begin_, take);
      begin_ += take;
      p += take;
      n -= take;
    }
    return true;
  }

 private:
  std::array<char, 64 * 1024> buf_{};
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

// Results go back in one send per batch (or per kFlushBytes): a crash loses
// the unsent ones, and the sweep side then runs those seeds again one at a
// time to learn which seed it was.
[[noreturn]] void worker_main(int fd, const std::vector<SweepTarget>& targets) {
  send_crash_notes_to(fd);
  std::vector<std::uint64_t> seeds;
  std::string out;
  for (;;) {
    Request rq{};
    if (!read_exact(fd, &rq, sizeof rq) || rq.target >= targets.size() || rq.count == 0 || rq.count > kMaxBatch)
      ::_exit(0);
    seeds.resize(rq.count);
    if (!read_exact(fd, seeds.data(), seeds.size() * sizeof(std::uint64_t))) ::_exit(0);
    out.clear();
    std::string note;
    try {
      for (const std::uint64_t seed : seeds) {
        append_frame(out, kFrameResult, encode_run(targets[rq.target].run(seed, rq.full_trace != 0)));
        if (out.size() >= kFlushBytes) {
          if (!send_all(fd, out.data(), out.size())) ::_exit(0);
          out.clear();
        }
      }
      if (!send_all(fd, out.data(), out.size())) ::_exit(0);
      continue;
    } catch (const std::exception& e) {
      note = fmt::format("exception\tuncaught exception outside the simulation: {}", e.what());
    } catch (...) {
      note = "exception\tuncaught exception outside the simulation, of a type not derived from std::exception";
    }
    // The run left this process in a state nobody vouches for: a new
    // worker takes the next seed.
    send_all(fd, out.data(), out.size());
    send_frame(fd, kFrameCrashNote, note);
    ::_exit(1);
  }
}

std::string describe_status(int status) {
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    return fmt::format("killed by signal {} ({})", sig, ::strsignal(sig));
  }
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  return "ended";
}

// The finding of a seed whose worker died: its last words if it had any,
// else its exit status.
RunResult died(const std::string& note, int status) {
  Finding f;
  const std::size_t tab = note.find('\t');
  if (tab != std::string::npos) {
    f.checker = note.substr(0, tab);
    f.message = note.substr(tab + 1);
  } else {
    f.checker = "crash";
    f.message = fmt::format("the run's process {} (a sanitizer's or the runtime's report, if any, is on stderr)",
                            describe_status(status));
  }
  f.where = kWorkerDiedWhere;
  f.details = fmt::format("the process running this seed {}; the sweep went on in a new one.\n", describe_status(status));
  RunResult r;
  r.finding = std::move(f);
  return r;
}

class Worker {
 public:
  Worker() = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;
  ~Worker() { stop(); }

  RunResult run(const std::shared_ptr<WorkerZygote>& zygote, std::size_t target, std::uint64_t seed,
                bool full_trace) {
    std::vector<RunResult> out;
    std::string note;
    if (exchange(zygote, target, {seed}, full_trace, out, note)) return std::move(out.front());
    return died(note, stop());
  }

  // Every seed in one request. If the worker dies, the seeds it did not
  // answer run again one by one in new workers, so that the one that kills
  // it is named (runs are deterministic: the others answer as before).
  std::vector<RunResult> run_batch(const std::shared_ptr<WorkerZygote>& zygote, std::size_t target,
                                   const std::vector<std::uint64_t>& seeds) {
    std::vector<RunResult> out;
    out.reserve(seeds.size());
    for (std::size_t at = 0; at < seeds.size();) {
      const std::size_t n = std::min<std::size_t>(seeds.size() - at, kMaxBatch);
      const std::vector<std::uint64_t> part(seeds.begin() + static_cast<std::ptrdiff_t>(at),
                                            seeds.begin() + static_cast<std::ptrdiff_t>(at + n));
      std::string note;
      if (!exchange(zygote, target, part, false, out, note)) {
        stop();
        for (std::size_t i = out.size(); i < at + n; ++i) out.push_back(run(zygote, target, seeds[i], false));
      }
      at += n;
    }
    return out;
  }

 private:
  // Sends one request and appends its results to `out`; false when the
  // worker died first (`note`: its last words, if any).
  // `zygote`: the zygote of the sweep's targets; a worker of another
  // sweep's is ended first.
  bool exchange(const std::shared_ptr<WorkerZygote>& zygote, std::size_t target,
                const std::vector<std::uint64_t>& seeds, bool full_trace, std::vector<RunResult>& out,
                std::string& note) {
    if (pid_ > 0 && zygote_ != zygote) stop();
    if (pid_ <= 0) start(zygote);
    std::string request(sizeof(Request) + seeds.size() * sizeof(std::uint64_t), '\0');
    const Request rq{target, seeds.size(), full_trace ? 1u : 0u};
    std::memcpy(request.data(), &rq, sizeof rq);
    std::memcpy(request.data() + sizeof rq, seeds.data(), seeds.size() * sizeof(std::uint64_t));
    if (!send_all(fd_, request.data(), request.size())) return false;
    for (std::size_t got = 0; got < seeds.size();) {
      char header[1 + sizeof(std::uint64_t)];
      std::uint64_t n = 0;
      if (!reader_.read_exact(fd_, header, sizeof header)) return false;
      std::memcpy(&n, header + 1, sizeof n);
      std::string payload(n, '\0');
      if (!reader_.read_exact(fd_, payload.data(), n)) return false;
      if (header[0] == kFrameCrashNote) {
        note = std::move(payload);
        continue;
      }
      RunResult r;
      if (header[0] != kFrameResult || !decode_run(payload, &r)) return false;
      out.push_back(std::move(r));
      ++got;
    }
    return true;
  }

  // Not fork() here: this thread is one of several (sim/worker_zygote.h).
  void start(const std::shared_ptr<WorkerZygote>& zygote) {
    const WorkerZygote::Started w = zygote->start_worker();
    reader_.reset();
    fd_ = w.fd;
    pid_ = w.pid;
    zygote_ = zygote;
  }

  // Ends the worker (it exits when its socket closes) and returns its status.
  int stop() {
    int status = 0;
    if (pid_ <= 0) return status;
    ::close(fd_);
    status = zygote_->wait_worker(pid_);
    pid_ = -1;
    fd_ = -1;
    zygote_.reset();
    return status;
  }

  pid_t pid_ = -1;
  int fd_ = -1;
  FrameReader reader_;
  std::shared_ptr<WorkerZygote> zygote_;
};

Worker& this_threads_worker() {
  thread_local Worker worker;
  return worker;
}

}  // namespace

bool died_in_worker(const RunResult& r) { return r.finding && r.finding->where == kWorkerDiedWhere; }

std::vector<SweepTarget> run_in_workers(std::vector<SweepTarget> targets) {
  // Forked here, before the sweep starts its threads.
  auto zygote = std::make_shared<WorkerZygote>(
      [originals = std::make_shared<const std::vector<SweepTarget>>(targets)](int fd) {
        worker_main(fd, *originals);
      });
  for (std::size_t i = 0; i < targets.size(); ++i) {
    targets[i].run = [zygote, i](std::uint64_t seed, bool full_trace) {
      return this_threads_worker().run(zygote, i, seed, full_trace);
    };
    targets[i].run_batch = [zygote, i](const std::vector<std::uint64_t>& seeds) {
      return this_threads_worker().run_batch(zygote, i, seeds);
    };
  }
  return targets;
}

}  // namespace wbsim::sim
