//! Sweeps that survive their seeds: each sweep thread runs its seeds in a
//! worker process of its own, restarted after it dies. The workers are
//! forked by a zygote process the sweep forks before its threads start
//! (sim/worker_zygote.h): a fork from a sweep thread, while the others run,
//! could copy a lock another thread held and hang the worker.
//!
//! Inside a simulation a failed assertion, a checker or an exception is a
//! finding, but a wild pointer, a fiber's stack overflow, an abort() outside
//! any simulation or a sanitizer's report ends the process that runs it.
//! In a worker that is the end of one seed: the sweep records it as a
//! finding of that seed (checker `crash`, or `stack-overflow`, with the
//! signal and the fiber the worker's last words named, sim/crash_note.h),
//! starts a new worker and goes on; its table, failure files and reports
//! are written as for any failure, with the seed's reproduce line.
//!
//! The wrapping is transparent to sim/sweep.cpp: the targets' `run`
//! functions talk to the calling thread's worker over a socket, and results
//! come back encoded (sim/run_codec.h). Runs are deterministic, so a worker
//! computes what the sweep's own thread would have.
//!
//! Not covered: a run that hangs in host code (the scheduler's budgets bound
//! everything that runs in fibers); a sweep's own thread dying.
#pragma once

#include <vector>

#include "sim/sweep.h"

namespace wbsim::sim {

// The same targets, each run in the calling thread's worker process.
std::vector<SweepTarget> run_in_workers(std::vector<SweepTarget> targets);

// The `where` of a finding made for a seed whose worker process died.
inline constexpr const char* kWorkerDiedWhere = "(the run's worker process died)";

// True for a result made up for a dead worker: it has no tape to replay or
// shrink; its reproduce line runs the seed again.
bool died_in_worker(const RunResult& r);

}  // namespace wbsim::sim
