#include "bench/kernels.h"

#include <boost/context/fiber.hpp>

#include "sim/bitwait.h"
#include "sim/completion.h"
#include "sim/mutex.h"
#include "sim/rwsem.h"
#include "sim/scheduler.h"
#include "sim/semaphore.h"
#include "sim/stack_pool.h"
#include "sim/waitqueue.h"
#include "sim/workqueue.h"

namespace wbsim::bench {

namespace ctx = boost::context;

namespace {

sim::SchedulerConfig bench_config() {
  sim::SchedulerConfig c;
  c.seed = 42;
  c.step_budget = ~0ull;
  c.time_budget = sim::kNever - 1;
  c.watch_repeats = false;  // the kernels below spin on purpose, the clock standing still
  return c;
}

template <typename Body>
void simulate(Body body) {
  sim::Scheduler sched(bench_config());
  body(sched);
  sched.run();
}

}  // namespace

std::uint64_t raw_fiber_switches(std::uint64_t n) {
  const std::uint64_t rounds = n / 2;
  ctx::fiber f(std::allocator_arg, sim::PooledStack{&sim::StackPool::for_this_thread()},
               [rounds](ctx::fiber&& main) {
                 for (std::uint64_t i = 0; i < rounds; ++i) main = std::move(main).resume();
                 return std::move(main);
               });
  for (std::uint64_t i = 0; i <= rounds && f; ++i) f = std::move(f).resume();
  return rounds * 2;
}

StepCount scheduler_yields(unsigned fibers, std::uint64_t per_fiber) {
  sim::Scheduler sched(bench_config());
  for (unsigned i = 0; i < fibers; ++i) {
    sched.spawn("y", [per_fiber] {
      for (std::uint64_t k = 0; k < per_fiber; ++k) sim::yield();
    });
  }
  sched.run();
  return {sched.step(), sched.switches()};
}

std::uint64_t mutex_uncontended(std::uint64_t n) {
  simulate([n](sim::Scheduler& s) {
    s.spawn("m", [n] {
      sim::Mutex m{"m"};
      for (std::uint64_t i = 0; i < n; ++i) {
        m.lock();
        m.unlock();
      }
    });
  });
  return n;
}

template <typename Lock>
static std::uint64_t contended(std::uint64_t n) {
  simulate([n](sim::Scheduler& s) {
    auto lock = std::make_shared<Lock>("m");
    for (int f = 0; f < 2; ++f) {
      s.spawn("c", [n, lock] {
        for (std::uint64_t i = 0; i < n / 2; ++i) {
          lock->lock();
          lock->unlock();
        }
      });
    }
  });
  return n / 2 * 2;
}

std::uint64_t mutex_contended(std::uint64_t n) { return contended<sim::Mutex>(n); }
std::uint64_t spinlock_contended(std::uint64_t n) { return contended<sim::Spinlock>(n); }

std::uint64_t semaphore_credits(std::uint64_t n) {
  simulate([n](sim::Scheduler& s) {
    auto sem = std::make_shared<sim::Semaphore>("credits", 2);
    s.spawn("down", [n, sem] {
      for (std::uint64_t i = 0; i < n; ++i) sem->down();
    });
    s.spawn("up", [n, sem] {
      for (std::uint64_t i = 0; i < n; ++i) sem->up();
    });
  });
  return n;
}

std::uint64_t completion_pingpong(std::uint64_t n) {
  simulate([n](sim::Scheduler& s) {
    auto ping = std::make_shared<sim::Completion>("ping");
    auto pong = std::make_shared<sim::Completion>("pong");
    s.spawn("a", [n, ping, pong] {
      for (std::uint64_t i = 0; i < n; ++i) {
        ping->complete();
        pong->wait();
      }
    });
    s.spawn("b", [n, ping, pong] {
      for (std::uint64_t i = 0; i < n; ++i) {
        ping->wait();
        pong->complete();
      }
    });
  });
  return n;
}

std::uint64_t waitqueue_pingpong(std::uint64_t n) {
  simulate([n](sim::Scheduler& s) {
    auto wq = std::make_shared<sim::WaitQueue>("wq");
    auto turn = std::make_shared<std::uint64_t>(0);
    for (std::uint64_t side = 0; side < 2; ++side) {
      s.spawn("p", [n, wq, turn, side] {
        for (std::uint64_t i = 0; i < n; ++i) {
          wq->wait_event([&] { return *turn % 2 == side; });
          ++*turn;
          wq->wake_up();
        }
      });
    }
  });
  return n;
}

std::uint64_t rwsem_mixed(std::uint64_t n) {
  simulate([n](sim::Scheduler& s) {
    auto sem = std::make_shared<sim::RwSem>("rw");
    for (int r = 0; r < 3; ++r) {
      s.spawn("r", [n, sem] {
        for (std::uint64_t i = 0; i < n / 4; ++i) {
          sem->down_read();
          sem->up_read();
        }
      });
    }
    s.spawn("w", [n, sem] {
      for (std::uint64_t i = 0; i < n / 4; ++i) {
        sem->down_write();
        sem->up_write();
      }
    });
  });
  return n / 4 * 4;
}

std::uint64_t bit_lock(std::uint64_t n) {
  simulate([n](sim::Scheduler& s) {
    auto flags = std::make_shared<sim::FlagsWord>(0);
    for (int f = 0; f < 2; ++f) {
      s.spawn("b", [n, flags] {
        for (std::uint64_t i = 0; i < n / 2; ++i) {
          while (sim::test_bit(0, *flags)) sim::wait_on_bit(*flags, 0);
          sim::set_bit(0, *flags);
          sim::clear_and_wake_up_bit(0, *flags);
        }
      });
    }
  });
  return n / 2 * 2;
}

std::uint64_t workqueue_items(std::uint64_t n) {
  simulate([n](sim::Scheduler& s) {
    s.spawn("submit", [n] {
      sim::Workqueue wq{"wq", 2};
      std::uint64_t ran = 0;
      sim::Work work{"w", [&ran] { ++ran; }};
      for (std::uint64_t i = 0; i < n; ++i) {
        wq.queue_work(work);
        wq.flush_work(work);
      }
    });
  });
  return n;
}

std::uint64_t sleep_timers(std::uint64_t n) {
  simulate([n](sim::Scheduler& s) {
    for (int f = 0; f < 4; ++f) {
      s.spawn("t", [n, f] {
        for (std::uint64_t i = 0; i < n / 4; ++i) sim::sleep(static_cast<sim::Time>(f + 1) * sim::kUs);
      });
    }
  });
  return n / 4 * 4;
}

}  // namespace wbsim::bench
