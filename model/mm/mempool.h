//! Mempools (mm/mempool.c): an allocator with a reserve of min_nr elements
//! for code that must make progress under memory pressure -- netfs requests
//! and subrequests (netfs_request_pool, netfs_subrequest_pool).
//!
//! mempool_alloc first tries the page allocator without direct reclaim or
//! I/O; failing that it takes an element from the reserve; with the reserve
//! empty it retries with the caller's context plus __GFP_NORETRY; failing
//! again, a context that may sleep waits (up to 5 s, then retries) for an
//! element to be returned by mempool_free, which refills the reserve before
//! giving memory back.
//!
//! Simplified: an element taken from the page allocator costs one page of
//! the budget, whatever its size; the reserve is set aside outside the budget.
#pragma once

#include <string>

#include "model/mm/filemap.h"
#include "model/mm/reclaim.h"
#include "sim/waitqueue.h"

namespace wbsim::model {

struct Mempool {
  Mempool(Mm& mm, std::string name, unsigned min_nr);
  Mm& mm;
  unsigned min_nr;
  unsigned curr_nr;  // elements in the reserve
  sim::WaitQueue wait;
};

// Returns false only for a context that may not sleep with the pool empty.
bool mempool_alloc(Mempool& pool, gfp_t gfp);
void mempool_free(Mempool& pool);

}  // namespace wbsim::model
