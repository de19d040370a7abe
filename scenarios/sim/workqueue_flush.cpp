// Why: flush_work must not return while its work is pending or running, and
//      an item re-queued while it runs must run again (PENDING is cleared
//      before the function is called), never twice at once.
// How: a two-worker queue; submitters queue two items repeatedly while the
//      items sleep a random while; a flusher checks the item's state after
//      flush_work returns.
#include "scenarios/registry.h"
#include "sim/assert.h"
#include "sim/workqueue.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(sim_workqueue_flush, "sim/workqueue_flush",
               .why = "flush_work waits for pending and running work; no item runs twice at once") {
  sim::Workqueue wq{"writeback_wq", 2};
  int running[2] = {0, 0};
  int runs[2] = {0, 0};
  std::vector<std::unique_ptr<sim::Work>> items;
  for (int i = 0; i < 2; ++i) {
    items.push_back(std::make_unique<sim::Work>(i == 0 ? "collect" : "retry", [&, i] {
      SIM_ASSERT_CMP(running[i], ==, 0);
      ++running[i];
      sim::sleep(sim::draw(3) * sim::kMs);
      ++runs[i];
      --running[i];
    }));
  }
  s.spawn("submitter", [&] {
    for (int round = 0; round < 6; ++round) {
      wq.queue_work(*items[round % 2]);
      if (sim::draw(2) == 0) sim::sleep(sim::kMs);
    }
  });
  s.spawn("flusher", [&] {
    for (int round = 0; round < 3; ++round) {
      wq.flush_work(*items[0]);
      SIM_ASSERT(!items[0]->pending());
      SIM_ASSERT(!items[0]->running());
      sim::sleep(2 * sim::kMs);
    }
  });
  s.run();
  SIM_ASSERT_CMP(runs[0] + runs[1], >=, 2);
  SIM_ASSERT_CMP(wq.queued(), ==, 0u);
}

}  // namespace wbsim::scenarios
