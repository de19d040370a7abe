//! Helpers shared by the netfs scenarios. What the scenarios once checked
//! themselves (quiescence, references, the server against a shadow of the
//! application's writes) is the checkers' job now (checkers/, run for every
//! scenario), and the liveness phase is Context::liveness_phase.
#pragma once

#include <cstdint>
#include <vector>

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

}  // namespace wbsim::scenarios
