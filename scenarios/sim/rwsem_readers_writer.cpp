// Why: an rwsem admits many readers or one writer, never both, and a waiting
//      writer holds back new readers (so writers are not starved).
// How: readers and writers take the rwsem repeatedly, sleeping while they
//      hold it; each checks the exclusion invariant on entry.
#include "scenarios/registry.h"
#include "sim/assert.h"
#include "sim/rwsem.h"

namespace wbsim::scenarios {

// por_safe: readers and writers touch their counters only while holding the rwsem (the readers by increments and decrements, which commute).
WBSIM_SCENARIO(sim_rwsem_readers_writer, "sim/rwsem_readers_writer",
               .why = "rwsem exclusion holds and writers make progress",
               .por_safe = true) {
  sim::RwSem invalidate_lock{"invalidate_lock"};
  int readers = 0;
  int writers = 0;
  int writes = 0;
  for (int r = 0; r < 3; ++r) {
    s.spawn("reader", [&] {
      for (int i = 0; i < 4; ++i) {
        invalidate_lock.down_read();
        ++readers;
        SIM_ASSERT_CMP(writers, ==, 0);
        sim::sleep(sim::draw(2) * sim::kMs);
        --readers;
        invalidate_lock.up_read();
      }
    });
  }
  s.spawn("writer", [&] {
    for (int i = 0; i < 3; ++i) {
      invalidate_lock.down_write();
      ++writers;
      SIM_ASSERT_CMP(readers, ==, 0);
      SIM_ASSERT_CMP(writers, ==, 1);
      sim::sleep(sim::kMs);
      --writers;
      ++writes;
      invalidate_lock.up_write();
    }
  });
  s.run();
  SIM_ASSERT_CMP(writes, ==, 3);
}

}  // namespace wbsim::scenarios
