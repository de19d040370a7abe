#include "cli/script.h"

#include <dlfcn.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "build_info.h"
#include "cli/args.h"
#include "scenarios/registry.h"
#include "script_config.h"
#include "sim/atomic_file.h"
#include "sim/failure_file.h"

extern char** environ;

namespace wbsim::cli {

namespace fs = std::filesystem;

namespace {

std::uint64_t fnv1a(std::string_view text, std::uint64_t h = 0xcbf29ce484222325ULL) {
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::optional<std::string> read_text(const fs::path& path, std::string* error) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    *error = "is a directory";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && *xdg != '\0') return fs::path(xdg) / "wbsim";
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') return fs::path(home) / ".cache" / "wbsim";
  throw UsageError("--script: neither XDG_CACHE_HOME nor HOME is set (where compiled scripts are cached)");
}

fs::path self_executable() {
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path{} : p;
}

// The headers scripts compile against: WBSIM_INCLUDE_DIR if set; the
// installed ones beside an installed executable (PREFIX/bin/wbsim and
// PREFIX/include/wbsim); else the source tree this binary was built from.
std::string include_dir() {
  const char* env = std::getenv("WBSIM_INCLUDE_DIR");
  if (env != nullptr && *env != '\0') return env;
  const fs::path exe = self_executable();
  std::error_code ec;
  if (!exe.empty()) {
    const fs::path installed = exe.parent_path().parent_path() / "include" / "wbsim";
    if (fs::exists(installed / "scenarios" / "registry.h", ec)) return installed.string();
  }
  return script_config::kSourceDir;
}

std::vector<std::string> compile_command(const std::string& source, const std::string& output) {
  std::vector<std::string> argv{script_config::kCompiler};
  for (const char* flag : script_config::kFlags) argv.emplace_back(flag);
  argv.push_back("-I" + include_dir());
  argv.insert(argv.end(), {"-fPIC", "-shared", "-o", output, source});
  return argv;
}

// What a compiled script depends on besides its own text: the compile
// command (compiler, flags, headers' location) and the executable it is
// loaded into (a rebuilt wbsim may lay out its types differently, so its
// size and modification time are part of the key).
std::string build_key() {
  std::uint64_t h = fnv1a(WBSIM_VERSION);
  h = fnv1a(WBSIM_GIT_COMMIT, h);
  for (const std::string& arg : compile_command("", "")) h = fnv1a(arg + '\0', h);
  const fs::path exe = self_executable();
  std::error_code ec;
  if (!exe.empty()) {
    const auto size = fs::file_size(exe, ec);
    if (!ec) h = fnv1a(fmt::format("{}", size), h);
    const auto mtime = fs::last_write_time(exe, ec);
    if (!ec) h = fnv1a(fmt::format("{}", mtime.time_since_epoch().count()), h);
  }
  return fmt::format("{:016x}", h);
}

// Runs the compiler with wbsim's standard error as its own: a compile
// error reaches the user as the compiler printed it. Returns its exit code.
int run_compiler(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The compiler's standard output goes to standard error too: wbsim's own
  // output (a run's report) stays clean.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw UsageError(fmt::format("--script: cannot run the compiler '{}': {}", argv[0], std::strerror(rc)));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw UsageError(fmt::format("--script: waiting for the compiler: {}", std::strerror(errno)));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

struct Loaded {
  std::string path;  // absolute
  std::vector<std::string> names;
};

std::vector<Loaded>& loaded() {
  static std::vector<Loaded> l;
  return l;
}

const Loaded* find_loaded(const std::string& path) {
  for (const Loaded& l : loaded()) {
    if (l.path == path) return &l;
  }
  return nullptr;
}

fs::path cache_dir_created(const std::string& shown) {
  const fs::path dir = cache_dir();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw UsageError(fmt::format("--script {}: cannot create the cache {}: {}", shown, dir.string(), ec.message()));
  return dir;
}

// The compiled script with contents `hash`, for this build.
fs::path object_path(const fs::path& dir, const std::string& hash) {
  return dir / fmt::format("{}-{}.so", hash, build_key());
}

// Loads a compiled script; its scenarios are recorded as coming from `path`
// with `hash`. `shown` names the script in messages.
std::vector<std::string> load_object(const std::string& shown, const std::string& path, const std::string& hash,
                                     const fs::path& object) {
  scenarios::begin_script(path, hash);
  // Never closed: the registry keeps pointers to the scenarios' functions.
  void* handle = dlopen(object.c_str(), RTLD_NOW | RTLD_LOCAL);
  std::string error;
  std::vector<std::string> names = scenarios::end_script(&error);
  if (handle == nullptr) {
    const char* why = dlerror();
    throw UsageError(fmt::format("--script {}: cannot load {}: {}", shown, object.string(), why ? why : "?"));
  }
  if (!error.empty()) throw UsageError(fmt::format("--script {}: {}", shown, error));
  if (names.empty()) throw UsageError(fmt::format("--script {}: registers no scenario (WBSIM_SCENARIO)", shown));
  std::sort(names.begin(), names.end());
  loaded().push_back({path, names});
  return names;
}

// Compiles `source` (the script, or the cache's copy of its contents) unless
// the cache has it for this build, and loads it.
std::vector<std::string> compile_and_load(const std::string& shown, const std::string& path, const std::string& hash,
                                          const std::string& source, const std::string& text) {
  if (const Loaded* l = find_loaded(path)) return l->names;
  const fs::path dir = cache_dir_created(shown);
  // The contents, kept by hash, so a failure file's replay can rebuild the
  // script after it was edited or removed.
  const fs::path copy = dir / (hash + ".cpp");
  std::error_code ec;
  std::string error;
  if (!fs::exists(copy, ec) && !sim::write_file_atomically(copy.string(), text, &error))
    throw UsageError(fmt::format("--script {}: {}", shown, error));
  const fs::path object = object_path(dir, hash);
  if (!fs::exists(object, ec)) {
    // Built beside its final name and renamed: concurrent runs never load
    // half an object.
    fs::path tmp = object;
    tmp += fmt::format(".tmp{}", getpid());
    const int code = run_compiler(compile_command(source, tmp.string()));
    if (code != 0) {
      fs::remove(tmp, ec);
      throw UsageError(fmt::format("--script {}: compilation failed ({} exited with {})", shown,
                                   script_config::kCompiler, code));
    }
    fs::rename(tmp, object, ec);
    if (ec) throw UsageError(fmt::format("--script {}: cannot store {}: {}", shown, object.string(), ec.message()));
  }
  return load_object(shown, path, hash, object);
}

}  // namespace

std::string script_hash(const std::string& text) { return fmt::format("{:016x}", fnv1a(text)); }

std::vector<std::string> load_scripts(const std::vector<std::string>& paths) {
  std::vector<std::string> names;
  for (const std::string& p : paths) {
    std::string error;
    const auto text = read_text(p, &error);
    if (!text) throw UsageError(fmt::format("--script '{}': cannot read: {}", p, error));
    std::error_code ec;
    const std::string path = fs::absolute(p, ec).lexically_normal().string();
    const auto got = compile_and_load(p, path, script_hash(*text), p, *text);
    names.insert(names.end(), got.begin(), got.end());
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

void load_script_of(const sim::FailureRecord& rec, const std::string& file) {
  if (rec.script.empty() || find_loaded(rec.script) != nullptr) return;
  std::string error;
  if (const auto text = read_text(rec.script, &error); text && script_hash(*text) == rec.script_hash) {
    compile_and_load(rec.script, rec.script, rec.script_hash, rec.script, *text);
    return;
  }
  // The script was edited or removed: what the cache kept of the contents
  // the failure was found with, compiled for this build or rebuilt from the
  // copy of its source.
  const fs::path dir = cache_dir();
  const fs::path copy = dir / (rec.script_hash + ".cpp");
  const fs::path object = object_path(dir, rec.script_hash);
  std::error_code ec;
  const auto text = read_text(copy, &error);
  const bool have_copy = text && script_hash(*text) == rec.script_hash;
  if (!have_copy && !fs::exists(object, ec)) {
    throw UsageError(fmt::format("{}: script {} is missing or changed since the failure (hash {}), and {} keeps no "
                                 "copy of it",
                                 file, rec.script, rec.script_hash, dir.string()));
  }
  fmt::print("(script {} is missing or changed since the failure: using the contents it had then, kept in {})\n",
             rec.script, dir.string());
  if (have_copy) {
    compile_and_load(rec.script, rec.script, rec.script_hash, copy.string(), *text);
  } else {
    load_object(rec.script, rec.script, rec.script_hash, object);
  }
}

}  // namespace wbsim::cli
