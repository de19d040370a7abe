#include "sim/fault.h"

#include <algorithm>
#include <mutex>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "sim/scheduler.h"

namespace wbsim::sim {

namespace {

struct Registry {
  std::vector<const FaultSite*> sites;
  bool sealed = false;  // sorted and indexed; no more registrations
};

Registry& registry() {
  static Registry r;
  return r;
}

}  // namespace

void seal_fault_sites() {
  Registry& r = registry();
  std::sort(r.sites.begin(), r.sites.end(), [](const FaultSite* a, const FaultSite* b) {
    return std::strcmp(a->name(), b->name()) < 0;
  });
  for (std::size_t i = 1; i < r.sites.size(); ++i) {
    if (std::strcmp(r.sites[i - 1]->name(), r.sites[i]->name()) == 0) {
      std::fprintf(stderr, "wbsim: fault site '%s' declared twice\n", r.sites[i]->name());
      std::abort();
    }
  }
  for (std::size_t i = 0; i < r.sites.size(); ++i) r.sites[i]->index_ = static_cast<std::uint32_t>(i);
  r.sealed = true;
}

namespace {

// Sweep threads may all ask for the sites at once on their first run.
void seal() {
  static std::once_flag once;
  std::call_once(once, seal_fault_sites);
}

constexpr std::uint32_t kRates[] = {2, 4, 16, 64};

}  // namespace

FaultSite::FaultSite(const char* name, const char* description)
    : name_(name), description_(description) {
  Registry& r = registry();
  if (r.sealed) {
    std::fprintf(stderr, "wbsim: fault site '%s' registered after start-up\n", name);
    std::abort();
  }
  r.sites.push_back(this);
}

std::uint32_t FaultSite::index() const {
  seal();
  return index_;
}

std::span<const FaultSite* const> fault_sites() {
  seal();
  return registry().sites;
}

void FaultPlan::draw(Scheduler& sched, bool enabled, std::span<const std::int8_t> modes) {
  const auto sites = fault_sites();
  sites_.assign(sites.size(), SiteState{});
  if (!enabled && modes.empty()) return;
  for (std::size_t i = 0; i < sites_.size(); ++i) {
    SiteState& s = sites_[i];
    const std::int8_t mode = i < modes.size() ? modes[i] : 0;
    if (enabled) s.on = sched.draw(2) == 0;
    if (mode != 0) s.on = mode > 0;
    s.drawn = s.on;
    if (s.on) s.one_in = kRates[sched.draw(std::size(kRates))];
  }
}

FaultPlan::SiteState& FaultPlan::state(const FaultSite& site) {
  const std::uint32_t i = site.index();
  if (sites_.size() <= i) sites_.resize(fault_sites().size());
  return sites_[i];
}

bool FaultPlan::fire(Scheduler& sched, const FaultSite& site, std::source_location loc) {
  SiteState& s = state(site);
  ++s.evaluated;
  if (!s.on) return false;
  if (!sched.chance(s.one_in)) return false;
  ++s.fired;
  s.last_fired = loc;
  sched.trace(Reason::fault, kNoObject, site.index(), loc.line());
  return true;
}

void FaultPlan::disable(const FaultSite& site) {
  SiteState& s = state(site);
  s.on = false;
  s.disabled = true;
}

void FaultPlan::force(const FaultSite& site, std::uint32_t one_in) {
  SiteState& s = state(site);
  s.on = true;
  s.drawn = true;
  s.disabled = false;
  s.one_in = one_in;
}

void FaultPlan::heal() {
  for (SiteState& s : sites_) s.on = false;
}

std::string FaultPlan::describe(bool fired) const {
  const auto sites = fault_sites();
  if (sites.empty()) return "faults: (no fault sites)";
  std::string out = "faults:";
  std::size_t off = 0;
  for (std::size_t i = 0; i < sites.size(); ++i) {
    const bool on = i < sites_.size() && sites_[i].drawn && !sites_[i].disabled;
    if (!on) {
      ++off;
      continue;
    }
    out += fmt::format(" {}=1/{}", sites[i]->name(), sites_[i].one_in);
    if (fired) out += fmt::format(" fired {}", sites_[i].fired);
  }
  if (off == sites.size()) return fmt::format("faults: none on ({} sites off)", off);
  return out + fmt::format(" ({} other sites off)", off);
}

bool fault(const FaultSite& site, std::source_location loc) {
  Scheduler& sched = Scheduler::current();
  return sched.faults().fire(sched, site, loc);
}

}  // namespace wbsim::sim
