//! Fault sites and the per-run swarm draw (FoundationDB's BUGGIFY, with
//! TigerBeetle's swarm testing).
//!
//! A site is declared once, at namespace scope, where the modelled code can
//! fail or be slow:
//!
//!     WBSIM_FAULT_SITE(kServerStall, "server.stall", "the server sits on a write");
//!     if (sim::fault(kServerStall)) ...
//!
//! At the start of every run the seed decides, site by site in name order,
//! whether the site is on and how often it fires (one in 2, 4, 16 or 64
//! evaluations). A run therefore explores a few faults hard instead of all
//! faults thinly. The draw goes on the tape and is printed in the run's
//! header. Scripted faults (`force`) go through the same plan.
#pragma once

#include <cstdint>
#include <source_location>
#include <span>
#include <string>
#include <vector>

namespace wbsim::sim {

class Scheduler;

class FaultSite {
 public:
  // Registers the site; sites are created by static initialisation only.
  FaultSite(const char* name, const char* description);
  const char* name() const { return name_; }
  const char* description() const { return description_; }
  // Position in fault_sites() (sites sorted by name).
  std::uint32_t index() const;

 private:
  friend void seal_fault_sites();
  const char* name_;
  const char* description_;
  mutable std::uint32_t index_ = 0;  // set once, when the registry is sealed
};

#define WBSIM_FAULT_SITE(var, name, description) \
  inline const ::wbsim::sim::FaultSite var { name, description }

// Every registered site, sorted by name.
std::span<const FaultSite* const> fault_sites();

class FaultPlan {
 public:
  struct SiteState {
    bool on = false;
    bool drawn = false;     // switched on by the draw (or forced), whatever came after
    bool disabled = false;  // kept off by the scenario
    std::uint32_t one_in = 0;  // fires on one evaluation in `one_in`
    std::uint64_t evaluated = 0;
    std::uint64_t fired = 0;
    std::source_location last_fired{};
  };

  // The swarm draw. With `enabled` false every site stays off and nothing
  // is drawn. `modes` overrides it site by site (by index): +1 on, -1 off,
  // 0 drawn. An overridden site still takes its on/off draw, so the tape
  // keeps the layout of the plain draw; a site forced on draws its rate.
  void draw(Scheduler& sched, bool enabled, std::span<const std::int8_t> modes = {});
  bool fire(Scheduler& sched, const FaultSite& site, std::source_location loc);
  // Scripted: switch a site on with the given rate (1 = always).
  void force(const FaultSite& site, std::uint32_t one_in);
  void heal();  // every site off (the liveness phase)
  void disable(const FaultSite& site);  // one site off for the rest of the run
  // "faults: name=1/4 name=1/16 ... (N other sites off)": the sites this run
  // had on (drawn or forced, not kept off by the scenario); with `fired`,
  // how often each fired: "name=1/4 fired 3". One line, no newline.
  std::string describe(bool fired = false) const;
  const std::vector<SiteState>& sites() const { return sites_; }

 private:
  SiteState& state(const FaultSite& site);
  std::vector<SiteState> sites_;
};

// Whether the fault at `site` fires now, in the calling thread's simulation.
bool fault(const FaultSite& site, std::source_location loc = std::source_location::current());

}  // namespace wbsim::sim
