// Property: any small program of fibers over mutexes, a waitqueue, a
// semaphore, sleeps and yields is deterministic per seed, and replaying its
// tape reproduces it exactly (trace hash, full trace, finding), under both
// the random and the pct strategy.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "sim/mutex.h"
#include "sim/run.h"
#include "sim/scheduler.h"
#include "sim/semaphore.h"
#include "sim/waitqueue.h"
#include "tests/sim_test_util.h"

namespace wbsim::proptest {

namespace sim = ::wbsim::sim;

enum class OpKind : int {
  lock,      // lock mutex arg%2 unless this fiber holds it
  unlock,    // unlock mutex arg%2 if this fiber holds it
  wait,      // wait_event_timeout for the next wake, (arg+1)*10 us
  wake,      // bump the event count and wake_up the queue
  sleep,     // sleep arg us
  yield,     // a bare scheduling point
  sem_down,  // down_timeout(1, (arg+1)*10 us) on a semaphore of 2
  sem_up,    // give back one unit this fiber took, if any
  count_,
};

struct Op {
  OpKind kind;
  std::uint32_t arg;
};

inline std::ostream& operator<<(std::ostream& os, const Op& op) {
  static const char* const kNames[] = {"lock", "unlock", "wait", "wake", "sleep", "yield", "sem_down", "sem_up"};
  return os << kNames[static_cast<int>(op.kind)] << "(" << op.arg << ")";
}

using Program = std::vector<std::vector<Op>>;  // one op list per fiber

rc::Gen<Op> gen_op() {
  // Locks are favoured (and unlocks rare) so that some programs invert the
  // lock order and deadlock: replay must reproduce findings too.
  const auto kind = rc::gen::weightedElement<OpKind>({{6, OpKind::lock},
                                                      {1, OpKind::unlock},
                                                      {2, OpKind::wait},
                                                      {2, OpKind::wake},
                                                      {1, OpKind::sleep},
                                                      {3, OpKind::yield},
                                                      {1, OpKind::sem_down},
                                                      {1, OpKind::sem_up}});
  return rc::gen::map(rc::gen::pair(kind, rc::gen::inRange<std::uint32_t>(0, 5)),
                      [](const std::pair<OpKind, std::uint32_t>& p) { return Op{p.first, p.second}; });
}

rc::Gen<Program> gen_program() {
  return rc::gen::mapcat(rc::gen::inRange(2, 5), [](int fibers) {
    return rc::gen::container<Program>(
        static_cast<std::size_t>(fibers),
        rc::gen::mapcat(rc::gen::inRange(1, 13), [](int ops) {
          return rc::gen::container<std::vector<Op>>(static_cast<std::size_t>(ops), gen_op());
        }));
  });
}

sim::RunResult execute(const Program& program, const sim::SchedulerConfig& config) {
  return sim::run_simulation(
      config, /*faults=*/true,
      [&](sim::Scheduler& s) {
        sim::Mutex m0{"m0"}, m1{"m1"};
        sim::Mutex* mutexes[2] = {&m0, &m1};
        sim::WaitQueue wq{"wq"};
        sim::Semaphore sem{"sem", 2};
        std::uint64_t events = 0;
        for (std::size_t f = 0; f < program.size(); ++f) {
          s.spawn("p" + std::to_string(f), [&, f] {
            bool held[2] = {false, false};
            int units = 0;
            for (const Op& op : program[f]) {
              const unsigned i = op.arg % 2;
              switch (op.kind) {
                case OpKind::lock:
                  if (!held[i]) {
                    mutexes[i]->lock();
                    held[i] = true;
                  }
                  break;
                case OpKind::unlock:
                  if (held[i]) {
                    mutexes[i]->unlock();
                    held[i] = false;
                  }
                  break;
                case OpKind::wait: {
                  const std::uint64_t seen = events;
                  wq.wait_event_timeout([&] { return events > seen; }, (op.arg + 1) * 10 * sim::kUs);
                  break;
                }
                case OpKind::wake:
                  ++events;
                  wq.wake_up();
                  break;
                case OpKind::sleep: sim::sleep(op.arg * sim::kUs); break;
                case OpKind::yield: sim::yield(); break;
                case OpKind::sem_down:
                  if (sem.down_timeout(1, (op.arg + 1) * 10 * sim::kUs)) ++units;
                  break;
                case OpKind::sem_up:
                  if (units > 0) {
                    sem.up();
                    --units;
                  }
                  break;
                case OpKind::count_: break;
              }
            }
            for (int m = 1; m >= 0; --m) {
              if (held[m]) mutexes[m]->unlock();
            }
            for (; units > 0; --units) sem.up();
          });
        }
        s.run();
      },
      "");
}

void check_replay(const Program& program, sim::StrategySpec strategy) {
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  sim::SchedulerConfig config = test::make_config(seed, strategy, /*keep_full_trace=*/true);
  config.pct_steps_hint = 40;  // change points inside these short runs
  config.step_budget = 100'000;

  const sim::RunResult recorded = execute(program, config);
  const std::string checker = recorded.finding ? recorded.finding->checker : "none";
  RC_TAG(checker);
  // A program can deadlock (lock-order inversion) but can misuse nothing.
  RC_ASSERT(checker == "none" || checker == "deadlock");

  // Same seed, same everything.
  const sim::RunResult again = execute(program, config);
  RC_ASSERT(again.trace_hash == recorded.trace_hash);
  RC_ASSERT(again.tape == recorded.tape);

  sim::SchedulerConfig replay = test::make_config(seed ^ 0x5555, test::replay_spec(), true);
  replay.replay_tape = &recorded.tape;
  replay.step_budget = config.step_budget;
  const sim::RunResult replayed = execute(program, replay);
  RC_ASSERT(!replayed.divergence.has_value());
  RC_ASSERT(replayed.trace_hash == recorded.trace_hash);
  RC_ASSERT(replayed.trace_all == recorded.trace_all);
  RC_ASSERT(replayed.tape == recorded.tape);
  RC_ASSERT(replayed.steps == recorded.steps);
  RC_ASSERT(replayed.time == recorded.time);
  RC_ASSERT((replayed.finding ? replayed.finding->checker : "none") == checker);
  if (recorded.finding) RC_ASSERT(replayed.finding->details == recorded.finding->details);
}

RC_GTEST_PROP(DeterminismProperty, random_program_replays_identically_under_random_strategy, ()) {
  check_replay(*gen_program(), sim::StrategySpec{});
}

RC_GTEST_PROP(DeterminismProperty, random_program_replays_identically_under_pct3_strategy, ()) {
  check_replay(*gen_program(), test::pct(3));
}

// The same, with the first two fibers starting by taking both mutexes in
// opposite orders: many of these runs deadlock, so replaying a finding is
// exercised as much as replaying a clean run.
Program with_inversion(Program p) {
  for (std::size_t f = 0; f < 2 && f < p.size(); ++f) {
    const std::uint32_t first = static_cast<std::uint32_t>(f);
    p[f].insert(p[f].begin(), {Op{OpKind::lock, first}, Op{OpKind::yield, 0}, Op{OpKind::lock, first + 1}});
  }
  return p;
}

RC_GTEST_PROP(DeterminismProperty, lock_inversion_programs_replay_their_deadlocks_identically, ()) {
  const Program program = with_inversion(*gen_program());
  check_replay(program, *rc::gen::element(sim::StrategySpec{}, test::pct(3)));
}

}  // namespace wbsim::proptest
