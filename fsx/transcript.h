//! Transcript lines: what replaying an fsx log prints, one line per executed
//! op and a final line, compared byte for byte with the kernel's .expected
//! files.
//!
//!     K OP rc=0 size=S
//!     K OP rc=0 size=S len=N fnv64=HHHHHHHHHHHHHHHH      (read and mapread)
//!     final size=S fnv64=HHHHHHHHHHHHHHHH
//!
//! rc is 0 or minus an errno, sizes are decimal, and every line ends in '\n'.
//!
//! run_transcript() executes a log against a Target and prints the
//! transcript. The split mirrors Linux: run_transcript makes every decision
//! that depends only on (offset, length, i_size) and is taken before any file
//! data is touched, and the Target only carries out operations that already
//! passed them, so the in-memory reference and an engine-backed file answer
//! them identically by construction. Each is tagged with who makes it in
//! Linux: [vfs] generic code above the filesystem (fs/read_write.c,
//! fs/open.c, fs/remap_range.c, mm/filemap.c), [fs] the filesystem's entry
//! checks (ext4; xfs has the same rules), [fsx] the test program itself.
//!
//!   - [fsx] length 0 (any op but truncate, whose A1 is a size): nothing is
//!     executed and rc=0, as the README specifies. fsx never executes
//!     zero-length ops (it logs them as `skip ... 0x0 0x0 0x0`), and the
//!     kernel would answer EINVAL for a zero-length fallocate-family call;
//!   - [vfs] an offset, length or end that does not fit a signed 64-bit
//!     loff_t: -EINVAL (rw_verify_area, vfs_fallocate, do_truncate);
//!   - [vfs] read, mapread: the bytes returned are clipped to EOF, none at or
//!     past it (read(2) returns short; a mapping is only read up to EOF);
//!   - [fsx] mapwrite: a write ending past EOF first truncates the file up to
//!     its end, because stores through a mapping cannot extend a file;
//!   - [fs] collapse_range: offset and length must be multiples of the
//!     4096-byte block, and offset + length < i_size, else -EINVAL;
//!   - [fs] insert_range: the same alignment, and offset < i_size, else
//!     -EINVAL;
//!   - [vfs] copy_range: the length is clipped to the source's EOF (nothing to
//!     copy from at or past it, still rc=0), and a copy whose clipped source
//!     and destination overlap is -EINVAL (generic_copy_file_checks).
//!
//! Everything else is the Target's: writes extend the size, truncate zeroes
//! or drops the tail, fallocate and zero_range extend unless keep_size,
//! punch_hole never changes the size, and ranges of fallocate, punch_hole and
//! zero_range reach the Target unclipped (clipping them to EOF is filesystem
//! behaviour).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "fsx/ops.h"

namespace wbsim::fsx {

// 64-bit FNV-1a, one byte at a time: xor, then multiply by the prime
// 1099511628211. The offset basis is 1469598103934665603 (0x14650fb0739d0383),
// not the standard 14695981039346656037 the README states: that is the basis
// all kernel .expected files were hashed with, and they are the oracle.
std::uint64_t fnv1a64(std::span<const std::uint8_t> bytes);

// The line for a non-read op.
std::string format_op_line(const Op& op, int rc, std::uint64_t size_after);

// The line for read and mapread; `data` is what the read returned (empty if
// it failed).
std::string format_read_line(const Op& op, int rc, std::uint64_t size_after,
                             std::span<const std::uint8_t> data);

// The last line: the size and hash of the whole file once it is stable.
std::string format_final_line(std::span<const std::uint8_t> contents);

// How a read or write reaches the page cache: read(2)/write(2), or loads and
// stores through a shared mapping (a mapped write is followed by
// msync(MS_SYNC) of its range).
enum class Access : std::uint8_t { buffered, mapped };

struct ReadResult {
  int rc = 0;  // 0, or minus an errno
  std::vector<std::uint8_t> data;
};

// A file the log is executed on. Every call has passed the checks above;
// mutators return 0 or minus an errno.
class Target {
 public:
  virtual ~Target();

  // i_size now.
  virtual std::uint64_t size() = 0;
  // 0 < length and offset + length <= size().
  virtual ReadResult read(std::uint64_t offset, std::uint64_t length, Access access) = 0;
  // Non-empty; the file grows if the data ends past EOF (never for mapped).
  virtual int write(std::uint64_t offset, std::span<const std::uint8_t> data, Access access) = 0;
  // Bytes beyond a shrunk size are gone: growing again exposes zeros.
  virtual int truncate(std::uint64_t new_size) = 0;
  // Allocation does not change data; the size grows to the end unless keep_size.
  virtual int fallocate(std::uint64_t offset, std::uint64_t length, bool keep_size) = 0;
  // Zero the part below EOF; the size never changes.
  virtual int punch_hole(std::uint64_t offset, std::uint64_t length) = 0;
  // Zero the range; the size grows to the end unless keep_size.
  virtual int zero_range(std::uint64_t offset, std::uint64_t length, bool keep_size) = 0;
  // Block-aligned, offset + length < size().
  virtual int collapse_range(std::uint64_t offset, std::uint64_t length) = 0;
  // Block-aligned, offset < size().
  virtual int insert_range(std::uint64_t offset, std::uint64_t length) = 0;
  // 0 < length, src + length <= size(), ranges disjoint; may extend the file.
  virtual int copy_range(std::uint64_t src, std::uint64_t length, std::uint64_t dest) = 0;
  // Write back and drop the file's page cache, as close + drop_caches + open.
  virtual void close_open() = 0;
  // The whole file after a final fsync, from stable storage.
  virtual std::vector<std::uint8_t> final_contents() = 0;
  // Before every op, executed or not (a Target that needs the op as the log
  // gave it, e.g. copy_range's unclipped length).
  virtual void before_op(const Op& op);
  // After every executed or counted op (its close_open included): what the
  // replaying program does between ops (the FUSE replay's fstat and marker).
  virtual void after_op(const Op& op);
};

// Executes `ops` in order on `target` and returns the full transcript.
std::string run_transcript(const std::vector<Op>& ops, Target& target);

}  // namespace wbsim::fsx
