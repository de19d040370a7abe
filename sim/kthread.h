//! Kernel threads: kthread_run, kthread_should_stop, kthread_stop, and
//! wake_up_process.
#pragma once

#include <functional>
#include <source_location>
#include <string>

#include "sim/completion.h"
#include "sim/wait_object.h"

namespace wbsim::sim {

class Kthread : public WaitObject {
 public:
  // kthread_run: the thread starts runnable.
  Kthread(std::string name, std::function<void(Kthread&)> fn,
          std::source_location loc = std::source_location::current());
  ~Kthread() override;

  bool should_stop() const { return should_stop_; }
  // Sets should_stop, wakes the thread, and waits for it to return.
  void stop(std::source_location loc = std::source_location::current());
  // Wakes the thread from whatever wait it is in; its wait loop re-checks.
  void wake_up_process();
  FiberId fiber() const { return fiber_; }
  bool exited() const { return exited_.done(); }

 private:
  bool should_stop_ = false;
  Completion exited_;
  FiberId fiber_;
};

}  // namespace wbsim::sim
