#include "model/mm/mempool.h"

#include "sim/coverage.h"
#include "sim/scheduler.h"

namespace wbsim::model {

using sim::mark;

WBSIM_MARK_IN(kMarkMempoolReserve, "mm.mempool_reserve", "mm/*", "a mempool allocation took an element from the reserve");
WBSIM_MARK_IN(kMarkMempoolReclaim, "mm.mempool_reclaim", "mm/*",
              "a mempool allocation found the reserve empty and tried again with direct reclaim");
WBSIM_MARK_IN(kMarkMempoolWait, "mm.mempool_wait", "-", "a mempool allocation waited for an element to be freed");

// mempool_init preallocates the reserve; the model sets it aside before
// the page budget (Mm::free_pages) is counted.
Mempool::Mempool(Mm& m, std::string name, unsigned min) : mm(m), min_nr(min), curr_nr(min), wait(std::move(name)) {}

bool mempool_alloc(Mempool& pool, gfp_t gfp) {
  gfp |= __GFP_NORETRY;
  gfp_t gfp_temp = gfp & ~(__GFP_DIRECT_RECLAIM | __GFP_IO);
  for (;;) {
    if (alloc_pages(pool.mm, 1, gfp_temp)) return true;
    if (pool.curr_nr > 0) {
      mark(kMarkMempoolReserve);
      --pool.curr_nr;
      ++pool.mm.pages_in_use;
      return true;
    }
    if (gfp_temp != gfp) {
      mark(kMarkMempoolReclaim);
      gfp_temp = gfp;
      continue;
    }
    if ((gfp & __GFP_DIRECT_RECLAIM) == 0) return false;
    // io_schedule_timeout(5 * HZ) on pool->wait: an element coming back
    // ends the wait early.
    mark(kMarkMempoolWait);
    sim::Scheduler::current().push_note("mempool_alloc waiting for an element to be freed");
    pool.wait.wait_event_timeout([&] { return pool.curr_nr > 0; }, 5 * sim::kSec);
    sim::Scheduler::current().pop_note();
  }
}

void mempool_free(Mempool& pool) {
  if (pool.curr_nr < pool.min_nr) {
    ++pool.curr_nr;
    --pool.mm.pages_in_use;
    pool.wait.wake_up();
    return;
  }
  free_pages(pool.mm, 1);
}

}  // namespace wbsim::model
