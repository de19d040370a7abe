#include "cli/output_paths.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "cli/args.h"

namespace wbsim::cli {

namespace fs = std::filesystem;

namespace {

// A directory files can be created in: an existing, writable directory.
void check_writable_directory(const std::string& flag, const std::string& path, const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw UsageError(fmt::format("{} '{}': '{}' is not a directory", flag, path, dir.string()));
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    throw UsageError(fmt::format("{} '{}': cannot write in '{}': {}", flag, path, dir.string(), std::strerror(errno)));
}

}  // namespace

void check_output_dir(const std::string& flag, const std::string& dir) {
  if (dir.empty()) throw UsageError(fmt::format("{}: empty path", flag));
  std::error_code ec;
  fs::path at = fs::path(dir);
  // create_directories will make what is missing: the first part that
  // exists must be a directory we may create entries in.
  while (!fs::exists(fs::symlink_status(at, ec)) && at.has_parent_path() && at.parent_path() != at)
    at = at.parent_path();
  if (!fs::exists(at, ec)) at = ".";
  check_writable_directory(flag, dir, at);
}

void check_output_file(const std::string& flag, const std::string& path) {
  if (path.empty()) throw UsageError(fmt::format("{}: empty path", flag));
  std::error_code ec;
  const fs::path p(path);
  if (fs::is_directory(p, ec)) throw UsageError(fmt::format("{} '{}': is a directory", flag, path));
  if (fs::exists(p, ec) && ::access(path.c_str(), W_OK) != 0)
    throw UsageError(fmt::format("{} '{}': not writable: {}", flag, path, std::strerror(errno)));
  const fs::path parent = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::exists(parent, ec))
    throw UsageError(fmt::format("{} '{}': directory '{}' does not exist", flag, path, parent.string()));
  // The file is replaced by renaming a temporary beside it.
  check_writable_directory(flag, path, parent);
}

}  // namespace wbsim::cli
