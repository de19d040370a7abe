//! Helpers of the dio/* scenarios: each script runs once per coherency
//! design, as dio/DESIGN/NAME, with what that design is expected to keep.
//!
//!     WBSIM_DIO_SCENARIO(ident, {.shape = "readd_window", .why = "...",
//!                                .lock_entries = {sim::Expect::fail_sometimes, "dio-gup-self-deadlock"}}) {
//!       model::World w; model::LocalFs fs(w); ...
//!     }
#pragma once

#include <string>

#include "model/dio/local.h"
#include "model/world.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

struct DioExpect {
  sim::Expect expect = sim::Expect::pass;
  const char* checker = "";
  const char* checkers_off = "";
};

struct DioScenarioSpec {
  const char* shape = "";
  const char* why = "";
  bool faults = true;
  const char* fault_sites_off = "";
  std::uint32_t pct_steps_hint = 500;
  DioExpect netfs;
  DioExpect pagecache_add_lock;
  DioExpect lock_entries;
  DioExpect dio_via_pagecache;
  // The workload's knobs (ScenarioOptions::params), the same for every design.
  std::vector<Param> params{};
};

class DioRegistrars {
 public:
  DioRegistrars(const DioScenarioSpec& spec, ScenarioFn fn, std::source_location loc = std::source_location::current()) {
    for (model::DioPolicy p : model::kDioPolicies) {
      const DioExpect& e = p == model::DioPolicy::netfs                ? spec.netfs
                           : p == model::DioPolicy::pagecache_add_lock ? spec.pagecache_add_lock
                           : p == model::DioPolicy::lock_entries       ? spec.lock_entries
                                                                       : spec.dio_via_pagecache;
      const std::string name = fmt::format("dio/{}/{}", model::dio_policy_name(p), spec.shape);
      Registrar(name.c_str(),
                ScenarioOptions{.expect = e.expect, .expect_checker = e.checker, .faults = spec.faults,
                                .pct_steps_hint = spec.pct_steps_hint, .fault_sites_off = spec.fault_sites_off,
                                .checkers_off = e.checkers_off, .why = spec.why,
                                .dio_policy = static_cast<std::uint8_t>(p), .params = spec.params},
                fn, loc);
    }
  }
};

#define WBSIM_DIO_SCENARIO(ident, ...)                                                        \
  static void ident(::wbsim::scenarios::Context& s);                                          \
  static const ::wbsim::scenarios::DioRegistrars ident##_registrars{                          \
      ::wbsim::scenarios::DioScenarioSpec __VA_ARGS__, ident};                                \
  static void ident([[maybe_unused]] ::wbsim::scenarios::Context& s)

// A 16-page file on a local filesystem, its contents pattern 1.
inline constexpr std::uint64_t kDioFilePages = 16;
inline model::LocalInode& dio_file(model::LocalFs& fs) {
  return fs.create_file(pattern(1, kDioFilePages * model::kPageSize));
}
inline model::loff_t page(std::uint64_t n) { return static_cast<model::loff_t>(n * model::kPageSize); }

// A fiber that `rounds` times loads `pages` pages at a random page of the
// first 12, through a mapping (`mapped`) or with read(2), sleeping up to
// `gap_us` between: the page adders the designs have to hold off.
inline void spawn_page_adder(Context& s, const char* name, model::LocalFs& fs, model::LocalInode& inode, bool mapped,
                             std::uint32_t rounds, std::uint64_t pages, std::uint32_t gap_us) {
  s.spawn(name, [&fs, &inode, mapped, rounds, pages, gap_us] {
    model::LocalFile f = fs.open(inode);
    for (std::uint32_t i = 0; i < rounds; ++i) {
      const model::loff_t at = page(sim::draw(12));
      if (mapped) {
        model::local_mmap_read(f, at, pages * model::kPageSize);
      } else {
        model::local_buffered_read(f, at, pages * model::kPageSize);
      }
      sim::sleep(sim::draw(gap_us) * sim::kUs);
    }
  });
}

}  // namespace wbsim::scenarios
