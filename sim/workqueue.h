//! Workqueues: queue_work / flush_work / flush_workqueue / cancel_work, run
//! by worker fibers.
//!
//! Up to `max_active` workers, spawned on demand and then kept, idling in an
//! idle wait (so an idle pool is not a deadlock). As in the kernel, PENDING is
//! cleared just before the function runs, so a work item can be queued again
//! while it runs, but one item never runs on two workers at once.
//! Not modelled: CPU affinity, rescuer threads, concurrency-managed pools.
#pragma once

#include <deque>
#include <functional>
#include <source_location>
#include <string>
#include <vector>

#include "sim/waitqueue.h"

namespace wbsim::sim {

class Work {
 public:
  Work(std::string name, std::function<void()> fn) : name_(std::move(name)), fn_(std::move(fn)) {}
  bool pending() const { return pending_; }
  bool running() const { return running_; }
  const std::string& name() const { return name_; }

 private:
  friend class Workqueue;
  std::string name_;
  std::function<void()> fn_;
  bool pending_ = false;
  bool running_ = false;
  std::uint32_t id_ = 0;  // per-workqueue, for the trace
};

class Workqueue : public WaitObject {
 public:
  Workqueue(std::string name, unsigned max_active);
  ~Workqueue() override;  // destroy_workqueue: its workers are torn down

  // False if the work was already pending.
  bool queue_work(Work& work, std::source_location loc = std::source_location::current());
  // Waits until `work` is neither pending nor running.
  void flush_work(Work& work, std::source_location loc = std::source_location::current());
  // Waits until every queued item has run.
  void flush(std::source_location loc = std::source_location::current());
  // Removes a pending item; true if it was pending.
  bool cancel_work(Work& work);
  std::size_t queued() const { return queue_.size(); }

 private:
  void worker_loop();
  bool has_runnable_item() const;
  Work* take_runnable_item();

  unsigned max_active_;
  unsigned busy_ = 0;
  std::uint32_t next_work_id_ = 1;
  std::deque<Work*> queue_;
  std::vector<FiberId> workers_;
  WaitQueue more_work_;
  WaitQueue progress_;  // signalled after each item, for flushers
};

}  // namespace wbsim::sim
