#include "sim/run.h"

#include <malloc.h>

#include <algorithm>

#include <fmt/format.h>

#include "sim/coverage.h"
#include "sim/stack_pool.h"

namespace wbsim::sim {

void keep_memory_between_runs() {
  // Blocks below 64 MiB come from the heap (not a fresh mapping each);
  // the heap is trimmed only when 256 MiB lie free at its top, and it
  // grows by 16 MiB at a time.
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  mallopt(M_TOP_PAD, 16 << 20);
}

RunResult run_simulation(const SchedulerConfig& config, bool faults, const Body& body,
                         const std::string& crash_context) {
  set_crash_context(crash_context);
  RunResult result;
  {
    Scheduler sched(config);
    sched.faults().draw(sched, faults, config.fault_modes);
    std::string host_exception;
    try {
      body(sched);
    } catch (const RunFailed&) {
      // The finding is on the scheduler; fibers are already unwound.
    } catch (const std::exception& e) {
      host_exception = fmt::format("uncaught exception in the scenario's host code: {}", e.what());
    } catch (...) {
      host_exception = "uncaught exception in the scenario's host code, of a type not derived from std::exception";
    }
    // A finding like any other (outside the handler: fail() unwinds fibers).
    if (!host_exception.empty()) {
      sched.abandon_fibers();
      Finding f;
      f.checker = "exception";
      f.message = std::move(host_exception);
      try {
        sched.fail(std::move(f));
      } catch (const RunFailed&) {
      }
    }
    // After the run: the sites the scenario kept off are known, and how
    // often each site fired.
    // A sweep's passing seed needs neither the fault header nor the tape
    // (config.passing_details); formatting the one and keeping the other
    // cost more than a short run's scheduling.
    const bool details = config.passing_details || sched.finding().has_value() || config.keep_full_trace;
    if (details) result.fault_header = sched.faults().describe(/*fired=*/true);
    for (const FaultPlan::SiteState& s : sched.faults().sites()) {
      if (s.drawn && !s.disabled) ++result.fault_sites_on;
      result.faults_fired += s.fired;
    }
    result.fibers = sched.fiber_count();
    sched.teardown();
    result.finding = sched.finding();
    result.steps = sched.step();
    result.switches = sched.switches();
    result.time = sched.now();
    result.trace_hash = sched.run_hash();
    result.trace_lines = sched.trace_log().count();
    if (config.record_footprints) result.footprints = sched.footprints();
    if (details) result.tape = sched.release_tape();
    result.divergence = sched.strategy().divergence();
    result.replay_consumed = sched.strategy().replay_consumed();
    result.choice_info = sched.strategy().choice_info();
    if (result.divergence) {
      for (const FiberId id : result.divergence->runnable) result.divergence_runnable.push_back(sched.fiber_name(id));
    }
    result.mark_hits.assign(coverage_marks().size(), 0);
    const std::vector<std::uint64_t>& hits = sched.mark_hits();
    std::copy_n(hits.begin(), std::min(hits.size(), result.mark_hits.size()), result.mark_hits.begin());
    // Formatting costs more than a short run; only a report needs it.
    if (result.finding) {
      for (const TraceRecord& r : sched.trace_log().tail()) result.trace_tail.push_back(format_trace_line(r, sched));
    }
    if (config.keep_full_trace) {
      result.trace_all.reserve(sched.trace_log().all().size());
      for (const TraceRecord& r : sched.trace_log().all()) result.trace_all.push_back(format_trace_line(r, sched));
      result.trace_records = sched.trace_log().all();
      for (const TraceRecord& r : result.trace_records) {
        if (r.fiber != kNoFiber) result.fiber_names.try_emplace(r.fiber, sched.fiber_name(r.fiber));
        if (r.object != kNoObject) result.object_names.try_emplace(r.object, sched.object_name(r.object));
      }
    }
  }
  set_crash_context({});
  return result;
}

}  // namespace wbsim::sim
