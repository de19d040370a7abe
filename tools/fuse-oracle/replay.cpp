// fuse-oracle-replay: the recording program of tests/data/fuse/README.md.
// Replays an fsx log on a file with real system calls:
//
//   fuse-oracle-replay LOG.fsxops FILE
//
// open(O_RDWR|O_CREAT|O_TRUNC), then per op pread, pwrite of the data
// pattern, (ftruncate and) mmap + memcpy + msync(MS_SYNC) + munmap,
// ftruncate, fallocate, copy_file_range until done, fsync; close_open is
// fsync + posix_fadvise(DONTNEED) + close + open; after every op fstat and
// fgetxattr(fd, "user.fsxop.K.OP"); at the end fsync, the final marker, a
// pread of the whole file, close. Exit 0, or 1 naming the failed call.
#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fsx/ops.h"

namespace {

using wbsim::fsx::Op;
using wbsim::fsx::OpKind;

int fail(const char* call, const Op* op) {
  fprintf(stderr, "fuse-oracle-replay: %s failed%s%s: %s\n", call, op ? " at op " : "",
          op ? std::to_string(op->number).c_str() : "", strerror(errno));
  return 1;
}

std::vector<unsigned char> pattern(const Op& op, std::uint64_t off, std::uint64_t len) {
  std::vector<unsigned char> d(len);
  for (std::uint64_t i = 0; i < len; ++i) d[i] = static_cast<unsigned char>((op.number * 131 + off + i) % 251 + 1);
  return d;
}

off_t size_of(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? st.st_size : -1;
}

int mapwrite(int fd, const Op& op) {
  const off_t end = static_cast<off_t>(op.offset + op.length);
  if (end > size_of(fd) && ftruncate(fd, end) != 0) return fail("ftruncate", &op);
  const off_t pg = static_cast<off_t>(op.offset) & ~static_cast<off_t>(sysconf(_SC_PAGESIZE) - 1);
  const size_t maplen = static_cast<size_t>(end - pg);
  void* p = mmap(nullptr, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, fd, pg);
  if (p == MAP_FAILED) return fail("mmap", &op);
  const auto data = pattern(op, op.offset, op.length);
  memcpy(static_cast<char*>(p) + (static_cast<off_t>(op.offset) - pg), data.data(), data.size());
  if (msync(p, maplen, MS_SYNC) != 0) return fail("msync", &op);
  munmap(p, maplen);
  return 0;
}

int execute(int* fd, const Op& op, const char* path) {
  const off_t off = static_cast<off_t>(op.offset);
  const off_t len = static_cast<off_t>(op.length);
  std::vector<unsigned char> buf;
  switch (op.kind) {
    case OpKind::read:
    case OpKind::mapread:
      buf.resize(op.length);
      if (pread(*fd, buf.data(), buf.size(), off) < 0) return fail("pread", &op);
      break;
    case OpKind::write:
      buf = pattern(op, op.offset, op.length);
      if (pwrite(*fd, buf.data(), buf.size(), off) != len) return fail("pwrite", &op);
      break;
    case OpKind::mapwrite:
      if (mapwrite(*fd, op) != 0) return 1;
      break;
    case OpKind::truncate:
      if (ftruncate(*fd, len) != 0) return fail("ftruncate", &op);
      break;
    case OpKind::fallocate:
      if (fallocate(*fd, op.keep_size ? FALLOC_FL_KEEP_SIZE : 0, off, len) != 0) return fail("fallocate", &op);
      break;
    case OpKind::punch_hole:
      if (fallocate(*fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) != 0) return fail("fallocate", &op);
      break;
    case OpKind::zero_range:
      if (fallocate(*fd, FALLOC_FL_ZERO_RANGE | (op.keep_size ? FALLOC_FL_KEEP_SIZE : 0), off, len) != 0)
        return fail("fallocate", &op);
      break;
    case OpKind::collapse_range:  // FUSE answers EOPNOTSUPP; the transcript is not this program's
      fallocate(*fd, FALLOC_FL_COLLAPSE_RANGE, off, len);
      break;
    case OpKind::insert_range:
      fallocate(*fd, FALLOC_FL_INSERT_RANGE, off, len);
      break;
    case OpKind::copy_range: {
      loff_t src = off, dst = static_cast<loff_t>(op.dest);
      std::uint64_t left = op.length;
      while (left > 0) {
        const ssize_t n = copy_file_range(*fd, &src, *fd, &dst, left, 0);
        if (n < 0) return fail("copy_file_range", &op);
        if (n == 0) break;
        left -= static_cast<std::uint64_t>(n);
      }
      break;
    }
  }
  if (op.close_open) {
    if (fsync(*fd) != 0) return fail("fsync", &op);
    posix_fadvise(*fd, 0, 0, POSIX_FADV_DONTNEED);
    close(*fd);
    *fd = open(path, O_RDWR);
    if (*fd < 0) return fail("open", &op);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: fuse-oracle-replay LOG.fsxops FILE\n");
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  auto parsed = wbsim::fsx::parse_ops(text.str(), argv[1]);
  if (const auto* err = std::get_if<wbsim::fsx::ParseError>(&parsed)) {
    fprintf(stderr, "fuse-oracle-replay: %s\n", to_string(*err).c_str());
    return 2;
  }
  int fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return fail("open", nullptr);
  for (const Op& op : std::get<std::vector<Op>>(parsed)) {
    if (op.length > 0 || op.kind == OpKind::truncate) {
      if (execute(&fd, op, argv[2]) != 0) return 1;
    }
    struct stat st;
    fstat(fd, &st);
    const std::string marker = "user.fsxop." + std::to_string(op.number) + "." + wbsim::fsx::op_name(op.kind);
    fgetxattr(fd, marker.c_str(), nullptr, 0);
  }
  if (fsync(fd) != 0) return fail("fsync", nullptr);
  fgetxattr(fd, "user.fsxop.final", nullptr, 0);
  std::vector<unsigned char> all(static_cast<size_t>(size_of(fd)));
  if (!all.empty() && pread(fd, all.data(), all.size(), 0) < 0) return fail("pread", nullptr);
  close(fd);
  return 0;
}
