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
               .por_safe = true,
               .params = {{"reads", 4, 1, 16, "down_read rounds of each of the 3 readers"},
                          {"writes", 3, 1, 16, "down_write rounds of the writer"}}) {
  const std::int64_t reads = s.param("reads");
  const std::int64_t write_rounds = s.param("writes");
  sim::RwSem invalidate_lock{"invalidate_lock"};
  int readers = 0;
  int writers = 0;
  int writes = 0;
  for (int r = 0; r < 3; ++r) {
    s.spawn("reader", [&] {
      for (std::int64_t i = 0; i < reads; ++i) {
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
    for (std::int64_t i = 0; i < write_rounds; ++i) {
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
  SIM_ASSERT_CMP(writes, ==, write_rounds);
}

}  // namespace wbsim::scenarios
