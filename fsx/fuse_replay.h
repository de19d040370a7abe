//! Replaying an fsx log on a file of a simulated FUSE mount served by the
//! client of Linux 6.18 (model/fuse, docs/fuse.md), configured as the
//! recordings of tests/data/fuse/ were: one server thread, synchronous
//! reads, max_pages 256, max_write 1 MiB, readahead 128 KiB,
//! auto_inval_data, the writeback cache off (nowb) or on (wb), and no
//! writeback but the replay's own calls. The replay makes the recording
//! program's calls (tests/data/fuse/README.md): create, pread, pwrite,
//! ftruncate (first, for a mapwrite past EOF), mmap + stores + msync +
//! munmap, fallocate, copy_file_range, and after every op fstat and the
//! marker getxattr; at the end fsync, the final marker, a read of the
//! whole file, close.
//!
//! The result is the transcript (which must still equal the kernel's
//! .expected), the server's request log and its view (what the recordings
//! compare), and the bytes each fsync made durable: after each op whose
//! calls end with the whole file written back (a mapwrite's munmap, the
//! final fsync) the FNV-1a hash of the server's file, checked against the
//! in-memory reference file there and then (and after a close_open, whose
//! fsync wrote everything).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fsx/ops.h"
#include "sim/run.h"

namespace wbsim::fsx {

enum class FuseMode : std::uint8_t { nowb, wb };

struct FuseRun {
  std::string transcript;
  std::vector<std::string> log;       // every request the server read
  std::vector<std::string> view;      // the recordings' view of it
  std::vector<std::string> durable;   // "K fnv64" after each op that wrote the whole file back
  sim::RunResult result;
};

FuseRun run_fuse(const std::vector<Op>& ops, FuseMode mode, std::uint64_t seed, bool faults,
                 const std::string& crash_context = {});

// Whether a log line is in the recordings' view: READ, GETATTR, GETXATTRs
// other than the markers, and SETATTRs of times only are left out.
bool fuse_line_in_view(const std::string& line);

// The op a line of a view belongs to: the number of the next marker at or
// after it ("final" after the last numbered one).
std::string fuse_view_op_at(const std::vector<std::string>& view, std::size_t index);

}  // namespace wbsim::fsx
