//! The server of the 6.18 client's connection: a passthrough over a backing
//! file that logs every request it reads (libfuse's low-level API over a
//! file on ext4, as the recordings of tests/data/fuse/ had). The backing
//! file's rules are ext4's on 6.18 (measured there): every write,
//! ftruncate (the same size included) and fallocate of any mode moves its
//! mtime; copy_file_range stops at the source's end. libfuse 3.14 does not
//! know FUSE_COPY_FILE_RANGE_64 and answers it ENOSYS itself.
//!
//! The log line of a request is the format of tests/data/fuse/README.md;
//! fuse_request_in_view() says which lines that view keeps.
#include <algorithm>

#include <fmt/format.h>

#include "model/fuse/fuse.h"
#include "model/fuse/internal.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"

namespace wbsim::model {

namespace {

constexpr int kENODATA = -61;
constexpr int kENOSYS = -38;
constexpr std::uint32_t kFuseWriteCache = 1;
constexpr std::uint32_t kFuseWriteLockowner = 2;
constexpr std::uint32_t kFuseWriteKillSuidgid = 4;

std::uint64_t fnv1a64(const std::vector<std::uint8_t>& bytes) {
  std::uint64_t h = 1469598103934665603ull;  // the basis the recordings use (README)
  for (const std::uint8_t b : bytes) {
    h ^= b;
    h *= 1099511628211ull;
  }
  return h;
}

std::string bit_names(std::uint32_t bits, std::initializer_list<std::pair<std::uint32_t, const char*>> names) {
  std::string out;
  for (const auto& [bit, name] : names) {
    if ((bits & bit) == 0) continue;
    if (!out.empty()) out += '|';
    out += name;
  }
  return out.empty() ? "0" : out;
}

std::string fattr_names(std::uint32_t valid) {
  return bit_names(valid, {{1u << 0, "MODE"},
                           {1u << 1, "UID"},
                           {1u << 2, "GID"},
                           {1u << 3, "SIZE"},
                           {1u << 4, "ATIME"},
                           {1u << 5, "MTIME"},
                           {1u << 6, "FH"},
                           {1u << 7, "ATIME_NOW"},
                           {1u << 8, "MTIME_NOW"},
                           {1u << 9, "LOCKOWNER"},
                           {1u << 10, "CTIME"},
                           {1u << 11, "KILL_SUIDGID"}});
}

std::string result_text(FuseOpcode op, int error, std::int64_t out, bool number) {
  if (error == kENOSYS && op == FuseOpcode::copy_file_range_64) return "err=-38(ENOSYS by libfuse)";
  if (error != 0) {
    const char* text = error == kENODATA ? "No data available"
                       : error == kENOSYS ? "Function not implemented"
                       : error == -95     ? "Operation not supported"
                                          : "Input/output error";
    return fmt::format("err={}({})", error, text);
  }
  return number ? fmt::format("{}", out) : "ok";
}

std::string fields(FuseOpcode op, const FuseIn& in, const std::vector<std::uint8_t>& data) {
  switch (op) {
    case FuseOpcode::create:
      return fmt::format("name={} flags={:#x} mode=0{:o}", in.name, in.flags, in.mode);
    case FuseOpcode::open:
      return fmt::format("flags={:#x}", in.flags);
    case FuseOpcode::write:
      return fmt::format("off={} size={} end={} wflags={} flags={:#x} h={:016x}", in.offset, in.size,
                         in.offset + static_cast<loff_t>(in.size),
                         bit_names(in.write_flags, {{kFuseWriteCache, "CACHE"},
                                                    {kFuseWriteLockowner, "LOCKOWNER"},
                                                    {kFuseWriteKillSuidgid, "KILLSUIDGID"}}),
                         in.flags, fnv1a64(data));
    case FuseOpcode::read:
      return fmt::format("off={} size={}", in.offset, in.size);
    case FuseOpcode::setattr:
      return (in.valid & FATTR_SIZE) != 0 ? fmt::format("valid={} size={}", fattr_names(in.valid), in.attr_size)
                                          : fmt::format("valid={}", fattr_names(in.valid));
    case FuseOpcode::fsync:
      return fmt::format("datasync={}", in.datasync ? 1 : 0);
    case FuseOpcode::release:
      return fmt::format("flags={:#x} rflags={}", in.flags, in.release_flags);
    case FuseOpcode::getxattr:
      return fmt::format("size=0 name={}", in.name);
    case FuseOpcode::fallocate:
      return fmt::format("off={} len={} end={} mode={}", in.offset, in.size, in.offset + static_cast<loff_t>(in.size),
                         bit_names(in.mode, {{FALLOC_FL_KEEP_SIZE, "KEEP_SIZE"},
                                             {FALLOC_FL_PUNCH_HOLE, "PUNCH_HOLE"},
                                             {0x04, "NO_HIDE_STALE"},
                                             {0x08, "COLLAPSE_RANGE"},
                                             {FALLOC_FL_ZERO_RANGE, "ZERO_RANGE"},
                                             {0x20, "INSERT_RANGE"}}));
    case FuseOpcode::copy_file_range:
    case FuseOpcode::copy_file_range_64:
      return fmt::format("off_in={} ino_out={} off_out={} len={} flags=0", in.offset, in.nodeid_out, in.off_out, in.size);
    case FuseOpcode::getattr:
    case FuseOpcode::flush:
      return "";
  }
  return "";
}

void grow(std::vector<std::uint8_t>& store, std::uint64_t end) {
  if (store.size() < end) store.resize(end, 0);
}

// ext4_fallocate: every mode moves the mtime, an allocation inside the
// file and one that keeps the size included.
void apply_fallocate(FuseInode& fi, const FuseIn& in) {
  auto& store = fi.server_data;
  const auto at = static_cast<std::uint64_t>(in.offset);
  const std::uint64_t end = at + in.size;
  const bool keep = (in.mode & FALLOC_FL_KEEP_SIZE) != 0;
  if ((in.mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE)) != 0) {
    if (!keep) grow(store, end);
    const std::uint64_t stop = std::min<std::uint64_t>(end, store.size());
    if (at < stop) std::fill(store.begin() + static_cast<long>(at), store.begin() + static_cast<long>(stop), 0);
  } else if (!keep) {
    grow(store, end);
  }
  ++fi.server_mtime;
}

// copy_file_range on the backing file: up to the source's end.
std::int64_t apply_copy(FuseInode& fi, const FuseIn& in) {
  auto& store = fi.server_data;
  const auto from = static_cast<std::uint64_t>(in.offset);
  const std::uint64_t n = from >= store.size() ? 0 : std::min<std::uint64_t>(in.size, store.size() - from);
  const std::vector<std::uint8_t> bytes(store.begin() + static_cast<long>(from),
                                        store.begin() + static_cast<long>(from + n));
  const auto to = static_cast<std::uint64_t>(in.off_out);
  if (n > 0) {
    grow(store, to + n);
    std::copy(bytes.begin(), bytes.end(), store.begin() + static_cast<long>(to));
    ++fi.server_mtime;
  }
  return static_cast<std::int64_t>(n);
}

// The backing file's side of each request.
int apply(FuseInode& fi, FuseOpcode op, const FuseIn& in, const std::vector<std::uint8_t>& data,
          FuseConn::Reply* reply) {
  auto& store = fi.server_data;
  switch (op) {
    case FuseOpcode::create:
      store.clear();  // O_TRUNC
      ++fi.server_mtime;
      reply->out = fi.nodeid;
      return 0;
    case FuseOpcode::write: {
      const auto at = static_cast<std::uint64_t>(in.offset);
      grow(store, at + data.size());
      std::copy(data.begin(), data.end(), store.begin() + static_cast<long>(at));
      ++fi.server_mtime;
      reply->out = static_cast<std::int64_t>(data.size());
      return 0;
    }
    case FuseOpcode::read: {
      const auto at = static_cast<std::uint64_t>(in.offset);
      const std::uint64_t n = at >= store.size() ? 0 : std::min<std::uint64_t>(in.size, store.size() - at);
      reply->data.assign(store.begin() + static_cast<long>(at), store.begin() + static_cast<long>(at + n));
      return 0;
    }
    case FuseOpcode::setattr:
      if ((in.valid & FATTR_SIZE) != 0) {
        store.resize(static_cast<std::uint64_t>(in.attr_size), 0);  // ftruncate: mtime moves even at the same size
        ++fi.server_mtime;
        reply->out = in.attr_size;
      } else if ((in.valid & (FATTR_MTIME | FATTR_CTIME)) != 0) {
        ++fi.server_mtime;
      }
      return 0;
    case FuseOpcode::fallocate:
      apply_fallocate(fi, in);
      return 0;
    case FuseOpcode::copy_file_range_64:
      return kENOSYS;  // libfuse 3.14 does not know the opcode
    case FuseOpcode::copy_file_range:
      reply->out = apply_copy(fi, in);
      return 0;
    case FuseOpcode::getxattr:
      return kENODATA;
    case FuseOpcode::open:
    case FuseOpcode::getattr:
    case FuseOpcode::fsync:
    case FuseOpcode::flush:
    case FuseOpcode::release:
      return 0;
  }
  return 0;
}

bool number_result(FuseOpcode op, const FuseIn& in) {
  return op == FuseOpcode::create || op == FuseOpcode::open || op == FuseOpcode::write || op == FuseOpcode::read ||
         op == FuseOpcode::copy_file_range || op == FuseOpcode::copy_file_range_64 ||
         (op == FuseOpcode::setattr && (in.valid & FATTR_SIZE) != 0);
}

}  // namespace

const char* fuse_opcode_name(FuseOpcode op) {
  switch (op) {
    case FuseOpcode::write: return "WRITE";
    case FuseOpcode::setattr: return "SETATTR";
    case FuseOpcode::fsync: return "FSYNC";
    case FuseOpcode::create: return "CREATE";
    case FuseOpcode::open: return "OPEN";
    case FuseOpcode::flush: return "FLUSH";
    case FuseOpcode::release: return "RELEASE";
    case FuseOpcode::read: return "READ";
    case FuseOpcode::getattr: return "GETATTR";
    case FuseOpcode::getxattr: return "GETXATTR";
    case FuseOpcode::fallocate: return "FALLOCATE";
    case FuseOpcode::copy_file_range: return "COPY_FILE_RANGE";
    case FuseOpcode::copy_file_range_64: return "COPY_FILE_RANGE_64";
  }
  return "?";
}

int FuseConn::serve_618(Request& req, Reply* reply) {
  FuseInode& fi = *req.inode;
  const int error = apply(fi, req.opcode, req.in, req.data, reply);
  reply->attr_size = static_cast<loff_t>(fi.server_data.size());
  reply->attr_mtime = fi.server_mtime;
  if (req.opcode == FuseOpcode::read) reply->out = static_cast<std::int64_t>(reply->data.size());
  const std::string f = fields(req.opcode, req.in, req.data);
  request_log_.push_back(fmt::format("{} ino={}{}{} pid={} -> {}", fuse_opcode_name(req.opcode), req.in.nodeid,
                                     f.empty() ? "" : " ", f, req.in.from_kernel ? 'K' : 'A',
                                     result_text(req.opcode, error, reply->out, number_result(req.opcode, req.in))));
  return error;
}

}  // namespace wbsim::model
