#include "sim/atomic_file.h"

// The temporaries are named PATH.tmpPID. A process killed between creating
// one and renaming it leaves it behind; the next write into the same
// directory removes those whose process is gone, and only those (a live
// writer's temporary is its own business).
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

namespace wbsim::sim {

namespace {

// The pid in a name ending in ".tmpPID", or 0.
pid_t temporary_owner(const std::string& name) {
  const std::size_t at = name.rfind(".tmp");
  if (at == std::string::npos || at + 4 == name.size() || name.size() - at > 4 + 10) return 0;
  long pid = 0;
  for (std::size_t i = at + 4; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    pid = pid * 10 + (name[i] - '0');
  }
  return pid > 0 && pid <= INT32_MAX ? static_cast<pid_t>(pid) : 0;
}

bool process_gone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

void remove_stale_temporaries(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) return;
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    if (ec) return;
    const std::string name = it->path().filename().string();
    const pid_t owner = temporary_owner(name);
    if (owner == 0 || owner == ::getpid() || !process_gone(owner)) continue;
    if (!it->is_regular_file(ec)) continue;
    std::filesystem::remove(it->path(), ec);
  }
}

}  // namespace

bool write_file_atomically(const std::string& path, std::string_view text, std::string* error) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  remove_stale_temporaries(dir);
  const std::string tmp = fmt::format("{}.tmp{}", path, ::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = fmt::format("{}: cannot create: {}", path, std::strerror(errno));
    return false;
  }
  std::size_t done = 0;
  bool ok = true;
  while (ok && done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) done += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = ::close(fd) == 0 && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = fmt::format("{}: cannot write: {}", path, std::strerror(errno));
    ::unlink(tmp.c_str());
    return false;
  }
  // Make the rename itself durable.
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return true;
}

}  // namespace wbsim::sim
