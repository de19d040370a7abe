//! `wbsim draw`: the state of a run at one step, rebuilt from its trace, as
//! the netfs writeback seed draws it — the folios of each mapping above the
//! subrequests of the write request in flight, upload stream then cache
//! stream, on one byte scale — in ASCII and as SVG.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sim/run.h"

namespace wbsim::cli {

struct Picture {
  std::uint64_t step = 0;  // the last trace line folded in
  sim::Time time = 0;
  struct Folio {
    std::uint64_t index = 0;
    unsigned order = 0;
    bool dirty = false;
    bool writeback = false;
  };
  struct Mapping {
    std::string name;
    std::vector<Folio> folios;  // by index
  };
  std::vector<Mapping> mappings;  // by object id
  enum class SubreqState : std::uint8_t { prepared, in_flight, done, failed };
  struct Subreq {
    unsigned index = 0;
    unsigned stream = 0;  // 0 upload, 1 cache
    std::uint64_t start = 0;
    std::uint64_t len = 0;
    SubreqState state = SubreqState::prepared;
    std::int64_t result = 0;  // bytes transferred, or -errno
  };
  std::uint64_t request = 0;  // the write request whose subrequests are drawn (0: none)
  std::vector<Subreq> subreqs;  // by stream, then index
};

// The state after every trace line up to `step` (the whole trace if 0).
// `r` must hold the full trace.
Picture picture_at(const sim::RunResult& r, std::uint64_t step);
std::string picture_ascii(const Picture& p);
std::string picture_svg(const Picture& p);

}  // namespace wbsim::cli
