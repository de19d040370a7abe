#include "sim/kthread.h"

#include "sim/scheduler.h"

namespace wbsim::sim {

Kthread::Kthread(std::string name, std::function<void(Kthread&)> fn, std::source_location loc)
    : WaitObject("kthread", name), exited_(name + ".exited") {
  fiber_ = sched_.spawn(
      name,
      [this, fn = std::move(fn)] {
        fn(*this);
        exited_.complete_all();  // stays done: exited() and every stopper see it
      },
      loc);
}

Kthread::~Kthread() {
  if (!sched_.fiber_finished(fiber_)) sched_.kill(fiber_);
}

void Kthread::stop(std::source_location loc) {
  sched_.yield_at(id());
  should_stop_ = true;
  note_signal(sched_.current_fiber(), loc);
  sched_.trace(Reason::kthread_stop, id(), fiber_);
  wake_up_process();
  exited_.wait(loc);
}

void Kthread::wake_up_process() { sched_.wake(fiber_, *this); }

}  // namespace wbsim::sim
