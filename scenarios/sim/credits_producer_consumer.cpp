// Why: credit-based flow control (a server's send credits) must neither lose
//      nor duplicate credits or items when the consumer stalls at random:
//      every item arrives once, in order, and all credits come home.
// How: a producer takes one credit per item from a semaphore and queues the
//      item; two consumers take items and return credits. A fault site makes
//      a consumer stall for a while (the swarm draw decides how often).
#include <deque>

#include "scenarios/registry.h"
#include "sim/assert.h"
#include "sim/fault.h"
#include "sim/mutex.h"
#include "sim/semaphore.h"
#include "sim/waitqueue.h"

namespace wbsim::scenarios {

WBSIM_FAULT_SITE(kConsumerStall, "sim.consumer_stall", "a consumer stalls before taking the next item");

// por_safe: the queue is touched under queue_lock, producer_done read only in wait_event conditions;
// those read only what is written right after an operation on queue_lock or queue_wq (wait_event_under).
WBSIM_SCENARIO(sim_credits_producer_consumer, "sim/credits_producer_consumer",
               .why = "credits and items are conserved under consumer stalls",
               .por_safe = true,
               .params = {{"items", 24, 1, 256, "items the producer queues"}}) {
  const int kItems = static_cast<int>(s.param("items"));
  constexpr std::uint64_t kCredits = 4;
  sim::Semaphore credits{"credits", kCredits};
  sim::Mutex queue_lock{"queue_lock"};
  sim::WaitQueue queue_wq{"queue_wq"};
  std::deque<int> queue;
  std::vector<int> consumed;
  int producer_done = 0;

  s.spawn("producer", [&] {
    for (int i = 0; i < kItems; ++i) {
      credits.down();
      {
        sim::MutexGuard g(queue_lock);
        queue.push_back(i);
      }
      queue_wq.wake_up();
    }
    producer_done = 1;
    queue_wq.wake_up();
  });
  for (int c = 0; c < 2; ++c) {
    s.spawn("consumer", [&] {
      for (;;) {
        if (sim::fault(kConsumerStall)) sim::sleep(sim::draw(50) * sim::kMs);
        queue_wq.wait_event_under(queue_lock, [&] { return !queue.empty() || producer_done; });
        sim::MutexGuard g(queue_lock);
        if (queue.empty()) return;
        SIM_ASSERT_CMP(queue.front(), ==, static_cast<int>(consumed.size()));
        consumed.push_back(queue.front());
        queue.pop_front();
        credits.up();
      }
    });
  }
  s.run();
  SIM_ASSERT_CMP(consumed.size(), ==, static_cast<std::size_t>(kItems));
  SIM_ASSERT_CMP(credits.count(), ==, kCredits);
}

}  // namespace wbsim::scenarios
