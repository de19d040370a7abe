//! Helpers shared by the netfs scenarios. What the scenarios once checked
//! themselves (quiescence, references, the server against a shadow of the
//! application's writes) is the checkers' job now (checkers/, run for every
//! scenario), and the liveness phase is Context::liveness_phase.
#pragma once

#include <cstdint>
#include <source_location>
#include <vector>

#include "model/netfs/netfs.h"
#include "model/world.h"
#include "scenarios/registry.h"
#include "sim/assert.h"

namespace wbsim::scenarios {

// Bytes of write number `tag`: never zero, so a hole on the server (zeros)
// can never pass for written data.
inline std::vector<std::uint8_t> pattern(std::uint32_t tag, std::uint64_t len) {
  std::vector<std::uint8_t> v(len);
  for (std::uint64_t i = 0; i < len; ++i) v[i] = static_cast<std::uint8_t>(1 + (tag * 131 + i * 7) % 255);
  return v;
}

// `at` or, one draw in two, the page boundary nearest it or one byte to
// either side: folio arithmetic has its edges there (a range ending on a
// folio's first or last byte), and uniform offsets meet them about once in
// 4096 operations. fsx's -w/-r/-t boundaries and Hypothesis's bias toward
// boundary values do the same. Never below `min`.
inline std::uint64_t near_page_edge(std::uint64_t at, std::uint64_t min = 0) {
  if (sim::draw(2) != 0) return at;
  const std::uint64_t edge = (at + 2048) / 4096 * 4096;
  const std::uint64_t v = edge + sim::draw(3);  // edge - 1, edge, edge + 1
  return v < min + 1 ? min : v - 1;
}

// A write(2) loop as careful applications write it: a short write is
// continued from where it stopped. -EFAULT is retried too: the buffer is
// valid, and the model's -EFAULT is a user page reclaimed between fault-in
// and copy (user.copy_short; docs/findings.md). Returns the total written,
// or the first other error.
inline std::int64_t write_all(model::NetfsFile& f, model::loff_t pos, const std::vector<std::uint8_t>& bytes,
                              const model::WriteOptions& opts) {
  std::uint64_t done = 0;
  while (done < bytes.size()) {
    const std::vector<std::uint8_t> rest(bytes.begin() + static_cast<std::ptrdiff_t>(done), bytes.end());
    const std::int64_t r = model::netfs_file_write(f, pos + static_cast<model::loff_t>(done), rest, opts);
    if (r == model::kEFAULT) continue;
    if (r < 0) return r;
    done += static_cast<std::uint64_t>(r);
  }
  return static_cast<std::int64_t>(done);
}

// A fiber "reader" that loads random ranges of the first `size` bytes of
// `inode` through a shared mapping, as many as the count parameter `loads`
// allows, 0 or 1 ms apart: faults (and their read-around) racing whatever
// the scenario's other fibers do to the range.
inline void spawn_mapped_reader(Context& s, model::World& w, model::NetfsInode& inode, std::uint64_t size,
                                const char* loads = "loads",
                                std::source_location loc = std::source_location::current()) {
  s.spawn(
      "reader",
      [&s, &w, &inode, size, loads] {
        model::NetfsFile f = w.open(inode);
        for (std::int64_t i = 0; s.more(loads, i); ++i) {
          const std::uint64_t pos = sim::draw(size - 1);
          model::netfs_mmap_read(f, static_cast<model::loff_t>(pos), 1 + sim::draw(size - pos));
          sim::sleep(sim::draw(2) * sim::kMs);
        }
      },
      loc);
}

}  // namespace wbsim::scenarios
