// Why: a kthread parked in its main-loop wait must see kthread_stop and exit;
//      an idle kthread is not a deadlock, and kthread_stop returns only after
//      the thread has exited.
// How: a flusher-like kthread waits for work or stop; a client feeds it work
//      items and then stops it.
#include "scenarios/registry.h"
#include "sim/assert.h"
#include "sim/kthread.h"
#include "sim/waitqueue.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(sim_kthread_stop, "sim/kthread_stop", .why = "kthread_stop wakes an idle kthread and waits for it") {
  sim::WaitQueue work_wq{"work_wq"};
  int work = 0;
  int done = 0;
  sim::Kthread flusher("flusher", [&](sim::Kthread& self) {
    while (!self.should_stop()) {
      work_wq.wait_event_idle([&] { return work > 0 || self.should_stop(); });
      while (work > 0) {
        --work;
        ++done;
        sim::sleep(sim::kMs);
      }
      work_wq.wake_up();  // the client waits on the same queue for work == 0
    }
  });
  s.spawn("client", [&] {
    for (int i = 0; i < 4; ++i) {
      ++work;
      work_wq.wake_up();
      sim::sleep(sim::draw(3) * sim::kMs);
    }
    work_wq.wait_event([&] { return work == 0; });
    flusher.stop();
    SIM_ASSERT(flusher.exited());
  });
  s.run();
  SIM_ASSERT_CMP(done, ==, 4);
}

}  // namespace wbsim::scenarios
