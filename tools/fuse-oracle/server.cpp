// fuse-oracle-server: a libfuse3 low-level passthrough over one directory
// that logs every request the kernel sends, raw, with its answer, in the
// format of tests/data/fuse/README.md. It mounts /dev/fuse itself (so the
// request and reply bytes pass through its own read and writev:
// fuse_session_custom_io) and serves single-threaded.
//
//   fuse-oracle-server BACKING_DIR MOUNTPOINT nowb|wb LOGFILE
//
// Connection as the recordings had it: max_write 1 MiB, max_readahead
// 128 KiB, FUSE_CAP_ASYNC_READ and splice off, auto_inval_data on, the
// writeback cache off (nowb) or on (wb), attr and entry timeouts 86400 s.
// Every name in the root maps to node 2, 3, ... in the order first seen.
#define FUSE_USE_VERSION 34
#include <fuse_lowlevel.h>

#include <dirent.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

namespace {

constexpr double kTimeout = 86400.0;
constexpr uint32_t kCopyFileRange64 = 53;  // FUSE_COPY_FILE_RANGE_64 (7.45; 52 is FUSE_STATX)

int g_root = -1;
bool g_wb = false;
FILE* g_log = nullptr;
std::map<std::string, fuse_ino_t> g_nodes;  // name -> node id
std::map<fuse_ino_t, std::string> g_names;

// The request being served: its text, and whether a handler of ours ran.
uint64_t g_unique = 0;
uint32_t g_opcode = 0;
std::string g_text;
bool g_handled = false;

uint64_t fnv1a64(const uint8_t* p, size_t n) {
  uint64_t h = 1469598103934665603ull;  // the recordings' basis (README)
  for (size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 1099511628211ull;
  }
  return h;
}

std::string bits(uint32_t v, const std::vector<std::pair<uint32_t, const char*>>& names) {
  std::string out;
  for (const auto& [bit, name] : names) {
    if ((v & bit) == 0) continue;
    if (!out.empty()) out += '|';
    out += name;
  }
  return out.empty() ? "0" : out;
}

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
  char buf[512];
  va_list ap;
  va_start(ap, f);
  vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  return buf;
}

const char* opname(uint32_t op) {
  switch (op) {
    case FUSE_LOOKUP: return "LOOKUP";
    case FUSE_FORGET: return "FORGET";
    case FUSE_GETATTR: return "GETATTR";
    case FUSE_SETATTR: return "SETATTR";
    case FUSE_OPEN: return "OPEN";
    case FUSE_READ: return "READ";
    case FUSE_WRITE: return "WRITE";
    case FUSE_STATFS: return "STATFS";
    case FUSE_RELEASE: return "RELEASE";
    case FUSE_FSYNC: return "FSYNC";
    case FUSE_GETXATTR: return "GETXATTR";
    case FUSE_FLUSH: return "FLUSH";
    case FUSE_INIT: return "INIT";
    case FUSE_CREATE: return "CREATE";
    case FUSE_FALLOCATE: return "FALLOCATE";
    case FUSE_COPY_FILE_RANGE: return "COPY_FILE_RANGE";
    case kCopyFileRange64: return "COPY_FILE_RANGE_64";
    case FUSE_BATCH_FORGET: return "BATCH_FORGET";
    default: return "OTHER";
  }
}

// The request's fields, from its raw bytes.
std::string fields(const fuse_in_header* h, const char* arg) {
  switch (h->opcode) {
    case FUSE_CREATE: {
      const auto* in = reinterpret_cast<const fuse_create_in*>(arg);
      return fmt("name=%s flags=0x%x mode=0%o", arg + sizeof(fuse_create_in), in->flags, in->mode);
    }
    case FUSE_OPEN:
      return fmt("flags=0x%x", reinterpret_cast<const fuse_open_in*>(arg)->flags);
    case FUSE_WRITE: {
      const auto* in = reinterpret_cast<const fuse_write_in*>(arg);
      const auto* data = reinterpret_cast<const uint8_t*>(arg + sizeof(fuse_write_in));
      const std::string wf = bits(in->write_flags, {{1, "CACHE"}, {2, "LOCKOWNER"}, {4, "KILLSUIDGID"}});
      return fmt("off=%" PRIu64 " size=%u end=%" PRIu64 " wflags=%s flags=0x%x h=%016" PRIx64, in->offset, in->size,
                 in->offset + in->size, wf.c_str(), in->flags, fnv1a64(data, in->size));
    }
    case FUSE_READ: {
      const auto* in = reinterpret_cast<const fuse_read_in*>(arg);
      return fmt("off=%" PRIu64 " size=%u", in->offset, in->size);
    }
    case FUSE_SETATTR: {
      const auto* in = reinterpret_cast<const fuse_setattr_in*>(arg);
      const std::string v = bits(in->valid, {{1, "MODE"}, {2, "UID"}, {4, "GID"}, {8, "SIZE"}, {16, "ATIME"},
                                             {32, "MTIME"}, {64, "FH"}, {128, "ATIME_NOW"}, {256, "MTIME_NOW"},
                                             {512, "LOCKOWNER"}, {1024, "CTIME"}, {2048, "KILL_SUIDGID"}});
      return (in->valid & FATTR_SIZE) ? fmt("valid=%s size=%" PRIu64, v.c_str(), in->size) : "valid=" + v;
    }
    case FUSE_FSYNC:
      return fmt("datasync=%u", reinterpret_cast<const fuse_fsync_in*>(arg)->fsync_flags & 1);
    case FUSE_RELEASE: {
      const auto* in = reinterpret_cast<const fuse_release_in*>(arg);
      return fmt("flags=0x%x rflags=%u", in->flags, in->release_flags);
    }
    case FUSE_GETXATTR:
      return fmt("size=%u name=%s", reinterpret_cast<const fuse_getxattr_in*>(arg)->size,
                 arg + sizeof(fuse_getxattr_in));
    case FUSE_FALLOCATE: {
      const auto* in = reinterpret_cast<const fuse_fallocate_in*>(arg);
      const std::string m = bits(in->mode, {{1, "KEEP_SIZE"}, {2, "PUNCH_HOLE"}, {4, "NO_HIDE_STALE"},
                                            {8, "COLLAPSE_RANGE"}, {16, "ZERO_RANGE"}, {32, "INSERT_RANGE"}});
      return fmt("off=%" PRIu64 " len=%" PRIu64 " end=%" PRIu64 " mode=%s", in->offset, in->length,
                 in->offset + in->length, m.c_str());
    }
    case FUSE_COPY_FILE_RANGE:
    case kCopyFileRange64: {
      const auto* in = reinterpret_cast<const fuse_copy_file_range_in*>(arg);
      return fmt("off_in=%" PRIu64 " ino_out=%" PRIu64 " off_out=%" PRIu64 " len=%" PRIu64 " flags=%" PRIu64,
                 in->off_in, in->nodeid_out, in->off_out, in->len, in->flags);
    }
    case FUSE_LOOKUP:
      return fmt("name=%s", arg);
    default:
      return "";
  }
}

std::string result(int error, const char* out) {
  if (error != 0) {
    if (error == -ENOSYS && !g_handled) return "err=-38(ENOSYS by libfuse)";
    return fmt("err=%d(%s)", error, strerror(-error));
  }
  switch (g_opcode) {
    case FUSE_WRITE:
    case FUSE_COPY_FILE_RANGE:
    case kCopyFileRange64:
      return fmt("%u", reinterpret_cast<const fuse_write_out*>(out)->size);
    case FUSE_CREATE:
    case FUSE_LOOKUP:
      return fmt("%" PRIu64, reinterpret_cast<const fuse_entry_out*>(out)->nodeid);
    case FUSE_OPEN:
      return "0";
    case FUSE_READ:
      return "data";
    case FUSE_SETATTR:
      if (g_text.find(" size=") != std::string::npos)
        return fmt("%" PRIu64, reinterpret_cast<const fuse_attr_out*>(out)->attr.size);
      return "ok";
    default:
      return "ok";
  }
}

ssize_t io_read(int fd, void* buf, size_t len, void*) {
  const ssize_t n = read(fd, buf, len);
  if (n < static_cast<ssize_t>(sizeof(fuse_in_header))) return n;
  const auto* h = static_cast<const fuse_in_header*>(buf);
  const char* arg = static_cast<const char*>(buf) + sizeof(fuse_in_header);
  g_unique = h->unique;
  g_opcode = h->opcode;
  g_handled = false;
  const std::string f = fields(h, arg);
  g_text = fmt("%s ino=%" PRIu64 "%s%s pid=%c", opname(h->opcode), h->nodeid, f.empty() ? "" : " ", f.c_str(),
               h->pid == 0 ? 'K' : 'A');
  return n;
}

ssize_t io_writev(int fd, struct iovec* iov, int count, void*) {
  std::vector<char> reply;
  for (int i = 0; i < count; ++i)
    reply.insert(reply.end(), static_cast<char*>(iov[i].iov_base),
                 static_cast<char*>(iov[i].iov_base) + iov[i].iov_len);
  if (reply.size() >= sizeof(fuse_out_header)) {
    const auto* h = reinterpret_cast<const fuse_out_header*>(reply.data());
    if (h->unique != 0 && h->unique == g_unique && g_opcode != FUSE_INIT) {
      fprintf(g_log, "%s -> %s\n", g_text.c_str(), result(h->error, reply.data() + sizeof(fuse_out_header)).c_str());
      fflush(g_log);
    }
  }
  return writev(fd, iov, count);
}

fuse_ino_t node_of(const std::string& name) {
  auto it = g_nodes.find(name);
  if (it != g_nodes.end()) return it->second;
  const fuse_ino_t ino = g_nodes.size() + 2;
  g_nodes[name] = ino;
  g_names[ino] = name;
  return ino;
}

int stat_of(fuse_ino_t ino, struct stat* st) {
  const int rc = ino == FUSE_ROOT_ID ? fstat(g_root, st) : fstatat(g_root, g_names[ino].c_str(), st, 0);
  if (rc == 0) st->st_ino = ino;
  return rc == 0 ? 0 : errno;
}

void reply_entry(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  fuse_entry_param e{};
  e.ino = ino;
  e.attr_timeout = e.entry_timeout = kTimeout;
  if (const int err = stat_of(ino, &e.attr)) {
    fuse_reply_err(req, err);
    return;
  }
  if (fi != nullptr) fuse_reply_create(req, &e, fi);
  else fuse_reply_entry(req, &e);
}

void op_init(void*, fuse_conn_info* conn) {
  g_handled = true;
  conn->max_write = 1u << 20;
  conn->max_readahead = 128u << 10;
  conn->want &= ~(FUSE_CAP_ASYNC_READ | FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
  conn->want |= FUSE_CAP_AUTO_INVAL_DATA;
  if (g_wb) conn->want |= FUSE_CAP_WRITEBACK_CACHE;
  else conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  g_handled = true;
  struct stat st;
  if (parent != FUSE_ROOT_ID || fstatat(g_root, name, &st, 0) != 0) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  reply_entry(req, node_of(name), nullptr);
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  g_handled = true;
  struct stat st;
  if (const int err = stat_of(ino, &st)) fuse_reply_err(req, err);
  else fuse_reply_attr(req, &st, kTimeout);
}

int truncateat_fallback(const std::string& name, off_t size) {
  const int fd = openat(g_root, name.c_str(), O_WRONLY);
  if (fd < 0) return -1;
  const int rc = ftruncate(fd, size);
  close(fd);
  return rc;
}

void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
  g_handled = true;
  const std::string& name = g_names[ino];
  int rc = 0;
  if (to_set & FUSE_SET_ATTR_SIZE)
    rc = fi != nullptr ? ftruncate(static_cast<int>(fi->fh), attr->st_size)
                       : truncateat_fallback(name, attr->st_size);
  if (rc == 0 && (to_set & (FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME_NOW))) {
    timespec ts[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
    if (to_set & FUSE_SET_ATTR_ATIME) ts[0] = attr->st_atim;
    if (to_set & FUSE_SET_ATTR_MTIME) ts[1] = attr->st_mtim;
    if (to_set & FUSE_SET_ATTR_MTIME_NOW) ts[1] = {0, UTIME_NOW};
    rc = utimensat(g_root, name.c_str(), ts, 0);
  }
  if (rc != 0) {
    fuse_reply_err(req, errno);
    return;
  }
  op_getattr(req, ino, nullptr);
}

void op_create(fuse_req_t req, fuse_ino_t parent, const char* name, mode_t mode, fuse_file_info* fi) {
  g_handled = true;
  const int fd = openat(g_root, name, (fi->flags | O_CREAT) & ~O_NOFOLLOW, mode);
  if (parent != FUSE_ROOT_ID || fd < 0) {
    fuse_reply_err(req, parent != FUSE_ROOT_ID ? EPERM : errno);
    return;
  }
  fi->fh = static_cast<uint64_t>(fd);
  reply_entry(req, node_of(name), fi);
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  g_handled = true;
  const int fd = openat(g_root, g_names[ino].c_str(), fi->flags & ~(O_CREAT | O_EXCL | O_NOCTTY));
  if (fd < 0) {
    fuse_reply_err(req, errno);
    return;
  }
  fi->fh = static_cast<uint64_t>(fd);
  fuse_reply_open(req, fi);
}

void op_read(fuse_req_t req, fuse_ino_t, size_t size, off_t off, fuse_file_info* fi) {
  g_handled = true;
  std::vector<char> buf(size);
  const ssize_t n = pread(static_cast<int>(fi->fh), buf.data(), size, off);
  if (n < 0) fuse_reply_err(req, errno);
  else fuse_reply_buf(req, buf.data(), static_cast<size_t>(n));
}

void op_write(fuse_req_t req, fuse_ino_t, const char* buf, size_t size, off_t off, fuse_file_info* fi) {
  g_handled = true;
  const ssize_t n = pwrite(static_cast<int>(fi->fh), buf, size, off);
  if (n < 0) fuse_reply_err(req, errno);
  else fuse_reply_write(req, static_cast<size_t>(n));
}

void op_flush(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  g_handled = true;
  const int rc = close(dup(static_cast<int>(fi->fh)));
  fuse_reply_err(req, rc == 0 ? 0 : errno);
}

void op_release(fuse_req_t req, fuse_ino_t, fuse_file_info* fi) {
  g_handled = true;
  close(static_cast<int>(fi->fh));
  fuse_reply_err(req, 0);
}

void op_fsync(fuse_req_t req, fuse_ino_t, int datasync, fuse_file_info* fi) {
  g_handled = true;
  const int fd = static_cast<int>(fi->fh);
  const int rc = datasync ? fdatasync(fd) : fsync(fd);
  fuse_reply_err(req, rc == 0 ? 0 : errno);
}

void op_getxattr(fuse_req_t req, fuse_ino_t, const char*, size_t) {
  g_handled = true;
  fuse_reply_err(req, ENODATA);
}

void op_fallocate(fuse_req_t req, fuse_ino_t, int mode, off_t off, off_t len, fuse_file_info* fi) {
  g_handled = true;
  const int rc = fallocate(static_cast<int>(fi->fh), mode, off, len);
  fuse_reply_err(req, rc == 0 ? 0 : errno);
}

void op_copy_file_range(fuse_req_t req, fuse_ino_t, off_t off_in, fuse_file_info* fi_in, fuse_ino_t, off_t off_out,
                        fuse_file_info* fi_out, size_t len, int flags) {
  g_handled = true;
  loff_t in = off_in, out = off_out;
  const ssize_t n = copy_file_range(static_cast<int>(fi_in->fh), &in, static_cast<int>(fi_out->fh), &out, len,
                                    static_cast<unsigned>(flags));
  if (n < 0) fuse_reply_err(req, errno);
  else fuse_reply_write(req, static_cast<size_t>(n));
}

void op_forget(fuse_req_t req, fuse_ino_t, uint64_t) { fuse_reply_none(req); }

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5 || (strcmp(argv[3], "nowb") != 0 && strcmp(argv[3], "wb") != 0)) {
    fprintf(stderr, "usage: fuse-oracle-server BACKING_DIR MOUNTPOINT nowb|wb LOGFILE\n");
    return 2;
  }
  g_root = open(argv[1], O_RDONLY | O_DIRECTORY);
  if (g_root < 0) {
    perror(argv[1]);
    return 2;
  }
  g_wb = strcmp(argv[3], "wb") == 0;
  g_log = fopen(argv[4], "w");
  if (g_log == nullptr) {
    perror(argv[4]);
    return 2;
  }
  fuse_lowlevel_ops ops{};
  ops.init = op_init;
  ops.lookup = op_lookup;
  ops.forget = op_forget;
  ops.getattr = op_getattr;
  ops.setattr = op_setattr;
  ops.create = op_create;
  ops.open = op_open;
  ops.read = op_read;
  ops.write = op_write;
  ops.flush = op_flush;
  ops.release = op_release;
  ops.fsync = op_fsync;
  ops.getxattr = op_getxattr;
  ops.fallocate = op_fallocate;
  ops.copy_file_range = op_copy_file_range;
  char* args_v[] = {argv[0], nullptr};
  fuse_args args = FUSE_ARGS_INIT(1, args_v);
  fuse_session* se = fuse_session_new(&args, &ops, sizeof ops, nullptr);
  if (se == nullptr) return 1;
  const int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    perror("/dev/fuse");
    return 1;
  }
  const std::string opts = fmt("fd=%d,rootmode=40000,user_id=0,group_id=0", fd);
  if (mount("fuse-oracle", argv[2], "fuse", MS_NOSUID | MS_NODEV, opts.c_str()) != 0) {
    perror("mount");
    return 1;
  }
  fuse_custom_io io{};
  io.read = io_read;
  io.writev = io_writev;
  if (fuse_session_custom_io(se, &io, fd) != 0) return 1;
  const int rc = fuse_session_loop(se);  // single-threaded
  fuse_session_destroy(se);
  fclose(g_log);
  return rc == 0 ? 0 : 1;
}
