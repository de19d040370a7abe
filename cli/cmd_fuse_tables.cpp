// `wbsim fuse-tables`: the two tables of docs/fuse.md, produced by runs of
// the model rather than written by hand.
//
// 1. Policy x scenario: every FUSE policy switch (and the defaults) swept
//    over the FUSE and mm scenarios that exercise them; each cell names what
//    the sweep found (a deadlock, a call that hangs, lost data) and on how
//    many seeds.
// 2. The two writeback designs: copies made, time a folio spends under
//    writeback, time a WRITE is in flight, and throughput in virtual time,
//    for 4 KiB and 1 MiB application writes, under a stated cost model.
#include <algorithm>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "checkers/suite.h"
#include "cli/args.h"
#include "cli/commands.h"
#include "model/events.h"
#include "model/fuse/fuse.h"
#include "model/world.h"
#include "scenarios/bugs.h"
#include "scenarios/registry.h"
#include "sim/bug_switch.h"
#include "sim/run.h"
#include "sim/sweep.h"

namespace wbsim::cli {

namespace {

// What a failing seed shows, in a table cell's words.
std::string classify(const sim::RunResult& r) {
  if (!r.finding) return "fails";
  const std::string& checker = r.finding->checker;
  const std::string& msg = r.finding->message;
  if (checker == "liveness") {
    const auto at = msg.find(" has not returned");
    if (at != std::string::npos) return fmt::format("**{} hangs**", msg.substr(0, at));
    return "**writeback never drains**";
  }
  if (checker == "deadlock") return "**deadlock**";
  if (checker == "data-integrity" || checker == "writeback-truth") return fmt::format("**loses data** ({})", checker);
  return fmt::format("**{}**", checker);
}

std::string policy_cell(const sim::TargetSummary& t) {
  if (t.unexpected == 0) return "pass";
  const std::string what = t.failures.empty() ? std::string("fails") : classify(t.failures.front().result);
  return fmt::format("{} ({} of {} seeds)", what, t.unexpected, t.seeds_run);
}

void policy_table(std::uint64_t seeds, unsigned jobs) {
  std::vector<const scenarios::Scenario*> targets;
  for (const char* glob : {"fuse/*", "mm/reclaim_hung_fuse"}) {
    for (const scenarios::Scenario* s : scenarios::match_scenarios(glob)) targets.push_back(s);
  }
  std::vector<std::string> policies = {""};
  for (const sim::BugSwitch* b : sim::bug_switches()) {
    if (std::string_view(b->name()).starts_with("fuse-")) policies.emplace_back(b->name());
  }
  fmt::print("| scenario |");
  for (const std::string& p : policies) fmt::print(" {} |", p.empty() ? "defaults" : fmt::format("`{}`", p));
  fmt::print("\n|---|");
  for (std::size_t i = 0; i < policies.size(); ++i) fmt::print("---|");
  fmt::print("\n");
  std::vector<std::vector<std::string>> cells(targets.size());
  for (const std::string& policy : policies) {
    std::vector<sim::SweepTarget> sweep;
    for (const scenarios::Scenario* s : targets) {
      sim::SweepTarget t;
      t.name = s->name;
      t.run = [s, policy](std::uint64_t seed, bool keep) {
        scenarios::RunRequest req;
        req.seed = seed;
        req.keep_full_trace = keep;
        if (!policy.empty()) req.bugs.push_back(policy);
        return scenarios::run_scenario(*s, req);
      };
      sweep.push_back(std::move(t));
    }
    sim::SweepOptions options;
    options.seeds = seeds;
    options.jobs = jobs;
    options.keep_failures = 1;
    const sim::SweepReport report = sim::run_sweep(sweep, options, {});
    for (std::size_t i = 0; i < report.targets.size(); ++i) cells[i].push_back(policy_cell(report.targets[i]));
  }
  for (std::size_t i = 0; i < targets.size(); ++i) {
    fmt::print("| {} |", targets[i]->name);
    for (const std::string& c : cells[i]) fmt::print(" {} |", c);
    fmt::print("\n");
  }
}

// The cost model of the design figures (virtual time).
struct Costs {
  unsigned cpus = 4;
  unsigned server_threads = 4;
  sim::Time handler_time = 2 * sim::kUs;         // a fast passthrough server, per request
  sim::Time handler_ns_per_kib = 500;            // ... and per KiB it stores
  sim::Time temp_copy_ns_per_page = 1 * sim::kUs;  // alloc_page + 4 KiB memcpy + rb-tree insert
  sim::Time write_call_ns = 2 * sim::kUs;        // the write(2) call
  sim::Time write_ns_per_page = 500;             // copy into a page-cache page
};

struct DesignFigures {
  model::FuseStats stats;
  sim::Time elapsed = 0;  // first write to fsync's return
  bool ok = false;
};

DesignFigures run_design(bool temp_pages, std::size_t write_size, std::size_t total, const Costs& c,
                         std::uint64_t seed) {
  DesignFigures out;
  sim::SchedulerConfig config;
  config.seed = seed;
  config.time_budget = 3600 * sim::kSec;
  config.step_budget = 100'000'000;
  const sim::RunResult r = sim::run_simulation(
      config, /*faults=*/false,
      [&](sim::Scheduler& s) {
        checkers::Suite suite(checkers::Options{});
        model::ObserverScope scope(suite.observers());
        // Dirty limits above the data written, as on a machine with gigabytes of
        // memory: the writer is not throttled, writeback runs beside it.
        model::World w({.background_thresh_pages = 256, .dirty_thresh_pages = 4096});
        model::FuseConn fc(w, {.server_threads = c.server_threads,
                               .temp_pages = temp_pages,
                               .handler_time = c.handler_time,
                               .handler_ns_per_kib = c.handler_ns_per_kib,
                               .temp_copy_ns_per_page = c.temp_copy_ns_per_page,
                               .write_call_ns = c.write_call_ns,
                               .write_ns_per_page = c.write_ns_per_page,
                               .cpus = c.cpus});
        model::FuseInode& inode = fc.create_file();
        s.spawn("fio", [&] {
          const std::vector<std::uint8_t> chunk(write_size, 0x5a);
          const sim::Time t0 = sim::now();
          for (std::size_t done = 0; done < total; done += write_size) {
            fc.write(inode, static_cast<model::loff_t>(done), chunk);
          }
          out.ok = fc.fsync(inode, /*datasync=*/true) == 0;
          out.elapsed = sim::now() - t0;
        });
        s.run();
        suite.liveness_phase(s, w, 600 * sim::kSec);
        out.stats = fc.stats();
      },
      "");
  out.ok = out.ok && !r.finding;
  return out;
}

void design_table() {
  const Costs c;
  constexpr std::size_t kTotal = 8u << 20;
  fmt::print(
      "cost model: {} CPUs shared by the writer, the flusher and {} server threads; a request costs {} ns + {} ns/KiB; a temporary copy {} ns/page; a write(2) "
      "call {} ns + {} ns/page; WRITEs of up to {} contiguous pages; {} MiB written, then fdatasync\n\n",
      c.cpus, c.server_threads, c.handler_time, c.handler_ns_per_kib, c.temp_copy_ns_per_page, c.write_call_ns,
      c.write_ns_per_page, model::FuseOptions{}.max_pages, kTotal >> 20);
  fmt::print(
      "| write size | design | copies | WRITE requests | mean time under writeback per folio | mean WRITE in flight | "
      "writeback throughput | application throughput | vs temp pages |\n|---|---|---|---|---|---|---|---|---|\n");
  // Each figure is the mean over a few seeds (the scheduler's choices
  // order the CPUs' work differently on each).
  constexpr std::uint64_t kSeeds = 5;
  for (const std::size_t ws : {std::size_t{4096}, std::size_t{1} << 20}) {
    double temp_app = 0;
    for (const bool temp : {true, false}) {
      double copies = 0, folios = 0, writes = 0, wb_time = 0, req_time = 0, bytes = 0, wb_span = 0, elapsed = 0;
      bool ok = true;
      for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
        const DesignFigures f = run_design(temp, ws, kTotal, c, seed);
        ok = ok && f.ok;
        copies += static_cast<double>(f.stats.temp_copies);
        folios += static_cast<double>(f.stats.folios_written);
        writes += static_cast<double>(f.stats.writes_answered);
        wb_time += static_cast<double>(f.stats.writeback_time);
        req_time += static_cast<double>(f.stats.request_time);
        bytes += static_cast<double>(f.stats.bytes_written);
        wb_span += static_cast<double>(f.stats.last_reply - f.stats.first_send) / 1e9;
        elapsed += static_cast<double>(f.elapsed) / 1e9;
      }
      folios = std::max(folios, 1.0);
      writes = std::max(writes, 1.0);
      const double wb_mib_s = wb_span > 0 ? bytes / (1 << 20) / wb_span : 0;
      const double app_mib_s = elapsed > 0 ? static_cast<double>(kTotal * kSeeds) / (1 << 20) / elapsed : 0;
      if (temp) temp_app = app_mib_s;
      fmt::print("| {} | {} | {:.0f} | {:.0f} | {:.1f} µs | {:.1f} µs | {:.0f} MiB/s | {:.0f} MiB/s | {} |\n",
                 ws == 4096 ? "4 KiB" : "1 MiB", temp ? "temp pages (legacy)" : "no temp pages", copies / kSeeds,
                 writes / kSeeds, wb_time / folios / 1e3, req_time / writes / 1e3, wb_mib_s, app_mib_s,
                 !ok    ? std::string("run failed")
                 : temp ? std::string("-")
                        : fmt::format("{:+.0f}%", (app_mib_s / temp_app - 1) * 100));
    }
  }
}

}  // namespace

int cmd_fuse_tables(const FuseTablesArgs& args) {
  const std::uint64_t seeds = parse_seed("--seeds", args.seeds);
  if (seeds == 0 || seeds > 1'000'000) throw UsageError(fmt::format("--seeds {}: must be 1 to 1000000", args.seeds));
  unsigned jobs = std::max(1u, std::thread::hardware_concurrency());
  if (!args.jobs.empty()) {
    const std::uint64_t j = parse_seed("--jobs", args.jobs);
    if (j == 0 || j > 1024) throw UsageError(fmt::format("--jobs {}: must be 1 to 1024", args.jobs));
    jobs = static_cast<unsigned>(j);
  }
  if (args.which != "all" && args.which != "policies" && args.which != "designs") {
    throw UsageError(fmt::format("fuse-tables: unknown table '{}' (all, policies, designs)", args.which));
  }
  if (args.which == "all" || args.which == "policies") {
    fmt::print("## policy x scenario ({} seeds each)\n\n", seeds);
    policy_table(seeds, jobs);
    fmt::print("\n");
  }
  if (args.which == "all" || args.which == "designs") {
    fmt::print("## writeback designs\n\n");
    design_table();
  }
  return 0;
}

}  // namespace wbsim::cli
