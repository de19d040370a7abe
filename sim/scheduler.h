//! The scheduler: one OS thread, many fibers, one oracle.
//!
//! Fibers are Boost.Context fibers on guard-paged stacks. Exactly one runs at
//! a time; it gives up the CPU only at a scheduling point (`yield`, or a
//! `block` inside a primitive). At each scheduling point the strategy picks
//! the next fiber among the runnable ones, and the choice goes on the tape.
//! Switching is direct, fiber to fiber: the scheduler's logic runs on the
//! stack of the fiber that yields, and the host (the thread that called
//! `run`) is resumed only when a phase ends.
//!
//! Virtual time stands still while any fiber is runnable; when none is, the
//! clock jumps to the earliest timer. A phase ends when nothing is runnable
//! and no timer is pending: quiescent if every blocked fiber is in an idle
//! wait (a worker waiting for work), a deadlock otherwise. A fiber blocked
//! with a timeout has a timer, so it is never part of a deadlock.
//!
//! Not covered here: what the fibers model. The scheduler knows locks and
//! queues only as WaitObjects with a name, a holder and a last signaller.
#pragma once

#include <boost/context/fiber.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <source_location>
#include <string>
#include <vector>

#include "sim/fault.h"
#include "sim/fiber_sanitizer.h"
#include "sim/finding.h"
#include "sim/repeat_watch.h"
#include "sim/scheduler_config.h"
#include "sim/stack_pool.h"
#include "sim/strategy.h"
#include "sim/tape.h"
#include "sim/trace.h"
#include "sim/types.h"
#include "sim/wait_object.h"

namespace wbsim::sim {

// Thrown on the host when a run ends with a finding; not a std::exception so
// that scenario code catching std::exception cannot swallow it.
struct RunFailed {};

enum class WaitKind : std::uint8_t {
  normal,  // a sleeping wait: forbidden while a spinlock is held
  spin,    // spinning for a spinlock: allowed in atomic context
  idle,    // a daemon waiting for work: not a deadlock when nothing else runs
};

// A step's resume object when what it acts on is not known: dependent on
// every other step.
inline constexpr ObjectId kAnyObject = 0xffffffffu;

class BitWaitTable;
class Scheduler;

// The simulation running on this thread (one per thread; set for the
// lifetime of a Scheduler). Inline so that a scheduling point in model code
// costs no call.
inline thread_local Scheduler* t_current_scheduler = nullptr;

class Scheduler final : public TraceNames {
 public:
  static constexpr FiberId kHost = kNoFiber;

  explicit Scheduler(const SchedulerConfig& config);
  ~Scheduler() override;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // The scheduler of the calling thread's simulation.
  static Scheduler& current() {
    if (t_current_scheduler == nullptr) [[unlikely]] no_current_simulation();
    return *t_current_scheduler;
  }
  static Scheduler* current_or_null() { return t_current_scheduler; }

  // --- host and fibers ---------------------------------------------------
  FiberId spawn(std::string name, std::function<void()> body,
                std::source_location loc = std::source_location::current());
  // Runs fibers until the phase ends. Throws RunFailed (after tearing the
  // fibers down) when the phase ended with a finding. Host only.
  void run();
  // Unwinds every unfinished fiber; no scheduling happens after this.
  void teardown();
  // Unwinds one fiber now (its owner is going away). Not on itself.
  void kill(FiberId id);
  // Drops every unfinished fiber without unwinding it, its stack back in
  // the pool: after an exception escaped the host code, the objects their
  // frames refer to are gone, and running their destructors would touch
  // freed memory. Host only; what their frames owned is leaked.
  void abandon_fibers();

  // --- scheduling points and blocking (fibers) ---------------------------
  // A scheduling point. The fast path is inline: it is most of what a
  // simulation does.
  void yield() { yield_at(kAnyObject); }
  // A scheduling point at the start of an operation on the object `id` whose
  // outcome reads only that object's state (a lock, a semaphore, a wake-up):
  // the step that resumes here acts on `id`. `shared`: the operation
  // commutes with every other shared one on `id` unless it blocks or wakes
  // a fiber (an rwsem's read side). A plain yield() says nothing of what
  // comes next (kAnyObject).
  void yield_at(ObjectId id, bool shared = false) { yield_reading(id, shared, kNoObject); }
  // yield_at(id, shared) for an operation that also reads plain memory
  // which every writer writes in a step acting on `guard` (a wait_event
  // condition over state kept under a lock): the step that resumes here, and
  // every re-check after a wake-up, reads `guard` too (shared).
  void yield_reading(ObjectId id, bool shared, ObjectId guard) {
    if (current_ == kHost || tearing_down_) [[unlikely]] return;
    Fiber& f = *fibers_[current_];
    ++f.steps;
    f.resume_object = id;
    f.resume_shared = shared;
    f.resume_guard = guard;
    const FiberId next = select_next();
    if (next != current_) switch_to(next);
  }
  // Blocks the running fiber on `obj` until wake() or the deadline; returns
  // false on timeout. The caller has put the fiber on obj's waiter list.
  bool block(WaitObject& obj, const char* op, Time deadline, WaitKind kind,
             std::source_location loc);
  // For waits on an object that does not know its holder (a bit lock such
  // as PG_locked): where the running fiber's next waits can read who holds
  // what it waits for, so the wait-for graph has that edge. Null clears it.
  void set_wait_holder(const FiberId* holder) { set_wait_holder(current_, holder); }
  void set_wait_holder(FiberId id, const FiberId* holder) { fibers_[id]->holder_ref = holder; }
  // The running fiber's wait condition (null: none) and the guard whose steps write what it
  // reads (kNoObject: plain memory). Wake-ups read it (condition_unmet: woken, the fiber would
  // sleep again); so does end_phase() for an idle wait, where it holding is a lost wake-up.
  void set_wait_condition(bool (*cond)(void*), void* arg, ObjectId guard = kNoObject);
  bool condition_unmet(FiberId id);
  // What the running fiber is in the middle of, outermost first ("the FUSE
  // server's WRITE handler" > "alloc_pages(GFP_KERNEL)" > "direct reclaim"),
  // shown beside its waits in deadlock reports. Static strings only.
  void push_note(const char* note) { fibers_[current_]->notes.push_back(note); }
  void pop_note() { fibers_[current_]->notes.pop_back(); }
  // What fiber `id` is doing, for a report: "blocked in OP(OBJECT) during
  // NOTE > NOTE", "runnable" or "finished". No source lines: the text does
  // not move with the model's lines.
  std::string describe_wait(FiberId id) const;
  // Makes a blocked fiber runnable; no-op if it is not blocked.
  void wake(FiberId id, const WaitObject& by);
  void sleep(Time duration, std::source_location loc = std::source_location::current());

  // --- the oracle --------------------------------------------------------
  // Uniform in [0, bound); recorded on the tape. bound >= 1.
  std::uint32_t draw(std::uint32_t bound);
  // A decision on the tape whose seeded answer is `seeded` (Strategy::decide).
  std::uint32_t decide(std::uint32_t bound, std::uint32_t seeded);
  bool chance(std::uint32_t one_in) { return one_in <= 1 || draw(one_in) == 0; }

  // --- findings ----------------------------------------------------------
  // Ends the run with a finding: on a fiber, switches to the host for good;
  // on the host, throws RunFailed.
  [[noreturn]] void fail(Finding finding);
  const std::optional<Finding>& finding() const { return finding_; }

  // --- atomic context (spinlocks) ----------------------------------------
  void enter_atomic() { ++fibers_[current_]->atomic_depth; }
  void leave_atomic() { --fibers_[current_]->atomic_depth; }

  // --- state -------------------------------------------------------------
  Time now() const { return now_; }
  std::uint64_t step() const { return step_; }
  std::uint64_t switches() const { return switches_; }
  FiberId current_fiber() const { return current_; }
  bool in_fiber() const { return current_ != kHost; }
  bool tearing_down() const { return tearing_down_; }
  bool fiber_finished(FiberId id) const { return fibers_[id]->state == State::finished; }
  std::size_t fiber_count() const { return fibers_.size(); }
  std::uint64_t seed() const { return config_.seed; }
  bool bug_enabled(std::uint32_t index) const { return index < bugs_.size() && bugs_[index]; }

  ObjectId register_object(const char* kind, const std::string& name);
  void trace(std::uint16_t reason, ObjectId object, std::uint64_t a = 0, std::uint64_t b = 0) {
    trace_.add({now_, step_, a, b, current_, object, reason});
    if (open_step_ != kNoStep) [[unlikely]] note_object(object, reason);
  }
  void trace(Reason reason, ObjectId object, std::uint64_t a = 0, std::uint64_t b = 0) {
    trace(static_cast<std::uint16_t>(reason), object, a, b);
  }
  const Trace& trace_log() const { return trace_; }
  // The run's fingerprint: every trace line and every scheduling choice.
  // Two runs with equal hashes made the same choices and the same
  // transitions; `--trace-hash` prints it.
  std::uint64_t run_hash() const {
    std::uint64_t h = trace_.hash() ^ (tape_.hash() * 0x9e3779b97f4a7c15ULL);
    return h ^ (h >> 31);
  }
  const Tape& tape() const { return tape_; }
  // By tape position (fiber choices only; draws' entries are empty), with
  // SchedulerConfig::record_footprints: what the step after each choice did.
  std::vector<StepFootprint> footprints() const;
  Tape release_tape() { return std::move(tape_); }
  const Strategy& strategy() const { return *strategy_; }
  FaultPlan& faults() { return faults_; }
  // Coverage marks (sim/coverage.h): hits per mark index in this run. The
  // vector is sized to every registered mark on the first hit, so it is
  // empty in a run that hit none.
  void hit_mark(std::uint32_t index) {
    if (index >= mark_hits_.size()) [[unlikely]] size_mark_hits(index);
    ++mark_hits_[index];
  }
  const std::vector<std::uint64_t>& mark_hits() const { return mark_hits_; }
  // Checkers a scenario keeps off (by their coverage mark's index): their
  // checks are not evaluated in this run (ScenarioOptions::checkers_off).
  void set_checker_off(std::uint32_t mark_index) {
    if (mark_index >= checkers_off_.size()) checkers_off_.resize(mark_index + 1, false);
    checkers_off_[mark_index] = true;
  }
  bool checker_off(std::uint32_t mark_index) const {
    return mark_index < checkers_off_.size() && checkers_off_[mark_index];
  }
  BitWaitTable& bit_waits() { return *bit_waits_; }

  std::string fiber_name(FiberId id) const override;
  // The running fiber's name in place, "host" on the host: for a fatal
  // signal's handler, which must not allocate.
  const char* running_fiber_name() const {
    return current_ == kHost || current_ >= fibers_.size() ? "host" : fibers_[current_]->name.c_str();
  }
  std::string object_name(ObjectId id) const override;

 private:
  enum class State : std::uint8_t { runnable, blocked, finished };

  struct Fiber {
    std::string name;
    std::function<void()> body;
    boost::context::fiber cont;
    State state = State::runnable;
    WaitKind wait_kind = WaitKind::normal;
    bool timed_out = false;
    int atomic_depth = 0;
    std::uint32_t wait_gen = 0;
    std::uint32_t runnable_index = 0;
    Time deadline = kNever;
    std::uint64_t steps = 0;
    const WaitObject* blocked_on = nullptr;
    const FiberId* holder_ref = nullptr;  // set_wait_holder()
    bool (*wait_cond)(void*) = nullptr;   // set_wait_condition()
    void* wait_cond_arg = nullptr;
    ObjectId wait_cond_guard = kNoObject;
    std::vector<const char*> notes;       // push_note()
    const char* wait_op = "";
    std::source_location wait_loc{};
    std::source_location spawn_loc{};
    FiberId parent = kNoFiber;  // the fiber that spawned it (kNoFiber: the host)
    bool started = false;       // its body was entered (a fiber never run unwinds without running our code)
    FiberAsanState asan;        // sim/fiber_sanitizer.h
    // What the step that resumes this fiber acts on first: the object of the
    // operation it yielded or blocked in (yield_at), kAnyObject when unknown,
    // kNoObject before its first step (its body's start, plain code).
    ObjectId resume_object = kNoObject;
    bool resume_shared = false;  // yield_at(id, true)
    ObjectId resume_guard = kNoObject;  // yield_reading(): read by it and its re-checks
  };

  struct Timer {
    Time deadline;
    std::uint64_t seq;  // FIFO among equal deadlines, independent of addresses
    FiberId fiber;
    std::uint32_t gen;  // stale once the fiber's wait_gen moves on
    bool operator>(const Timer& o) const {
      return deadline != o.deadline ? deadline > o.deadline : seq > o.seq;
    }
  };

  struct ObjectInfo {
    const char* kind;
    std::string name;
  };

  // The strategy's pick among the runnable fibers, or kHost when the phase
  // ends (quiescence, deadlock, budget exhausted).
  FiberId select_next() {
    if (open_step_ != kNoStep) [[unlikely]] close_step();
    if (runnable_.empty()) [[unlikely]] return select_after_idle();
    if (++step_ > config_.step_budget) [[unlikely]] return step_budget_exhausted();
    if (step_ - still_since_ > quiet_steps_) [[unlikely]] {
      if (watch_repeats()) return kHost;
    }
    const auto n = static_cast<std::uint32_t>(runnable_.size());
    if (n == 1) return runnable_[0];
    const std::uint32_t i = fast_rng_ ? fast_rng_->below(n) : strategy_->choose_fiber(runnable_, current_);
    tape_.push(i);
    if (config_.record_footprints) [[unlikely]] open_step(runnable_[i]);
    return runnable_[i];
  }
  static constexpr std::size_t kNoStep = ~std::size_t{0};
  void open_step(FiberId chosen);
  void close_step();
  void note_object(ObjectId id, std::uint16_t reason);
  [[noreturn]] static void no_current_simulation();
  // Storage the runs of one thread hand on to each other (sim/scheduler.cpp):
  // a Scheduler is made for every run, but its fiber records, run queue,
  // object table, coverage counts and tape buffer are reset, not rebuilt, so
  // the runs of a sweep worker allocate next to nothing for them.
  struct Arena;
  static Arena& arena();
  std::unique_ptr<Fiber> new_fiber();
  void recycle_storage();
  FiberId select_after_idle();
  FiberId step_budget_exhausted();
  // The clock has stood still for RepeatWatch::kQuietSteps: adds the step
  // that just ended to the watch; true when it found the run going round
  // (finding_ is set).
  bool watch_repeats();
  bool fire_next_timers();
  void end_phase();
  void switch_to(FiberId next);
  void adopt(boost::context::fiber&& from);
  void enter_fiber(FiberId id, boost::context::fiber&& from);
  void unwind_fiber(Fiber& f);
  FiberAsanState& asan_of(FiberId id) { return id == kHost ? host_asan_ : fibers_[id]->asan; }
  boost::context::fiber& slot(FiberId id) { return id == kHost ? host_cont_ : fibers_[id]->cont; }
  boost::context::fiber finish_current();
  void run_body(FiberId id);
  void add_runnable(FiberId id);
  void remove_runnable(FiberId id);
  void cancel_timer(Fiber& f);
  Finding make_finding(std::string checker, std::string message) const;
  std::string scenario_origin(FiberId id) const;
  std::string describe_blocked() const;
  // Who the blocked fiber `id` waits for, or kNoFiber.
  FiberId waits_for(FiberId id) const;
  // Whether the wait-for chain from `start` comes back to it (allocates
  // nothing: it runs at every block).
  bool closes_cycle(FiberId start) const;
  // The wait-for cycle through `start` (start first), or empty.
  std::vector<FiberId> wait_cycle(FiberId start) const;
  std::string describe_cycle(const std::vector<FiberId>& cycle) const;
  std::string describe_busiest() const;
  void size_mark_hits(std::uint32_t index);

  SchedulerConfig config_;
  std::unique_ptr<Strategy> strategy_;
  Rng* fast_rng_;  // strategy_->fast_random(), cached for the hot path
  Tape tape_;
  Trace trace_;
  FaultPlan faults_;
  std::vector<std::uint64_t> mark_hits_;  // by mark index; sized on the first hit
  std::vector<bool> checkers_off_;        // by mark index
  StackPool& stacks_;
  std::vector<std::unique_ptr<Fiber>> fibers_;  // boxed: references survive spawn
  std::vector<FiberId> runnable_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  std::uint64_t live_timers_ = 0;
  std::uint64_t timer_seq_ = 0;
  std::vector<ObjectInfo> objects_;
  std::unique_ptr<WaitObject> sleep_object_;
  std::unique_ptr<BitWaitTable> bit_waits_;
  boost::context::fiber host_cont_;
  FiberAsanState host_asan_;  // its stack learnt at the first switch away from it
  StackBounds unwinder_stack_;  // ASan: the stack of whoever unwinds a fiber, to return to
  FiberId current_ = kHost;
  FiberId switched_from_ = kHost;
  // Where the fiber we leave must store its continuation when it is resumed
  // (set just before each jump; saves a table lookup on the hot path).
  boost::context::fiber* switched_from_slot_ = &host_cont_;
  Time now_ = 0;
  std::uint64_t step_ = 0;
  // The step at which virtual time last moved (or the phase began), and
  // the trace record the watched step began at.
  std::uint64_t still_since_ = 0;
  std::uint64_t quiet_steps_;  // RepeatWatch::kQuietSteps, or never when the watch is off
  std::uint64_t watched_from_record_ = 0;
  RepeatWatch repeats_;
  std::uint64_t switches_ = 0;  // fiber-to-fiber moves, for benchmarks
  bool tearing_down_ = false;
  std::optional<Finding> finding_;
  std::vector<bool> bugs_;  // by BugSwitch index
  // record_footprints: by tape position, and the one the running step fills.
  std::vector<StepFootprint> footprints_;
  std::size_t open_step_ = kNoStep;
  Scheduler* previous_current_;
};

// Convenience for model code: the current scheduler's oracle and clock.
inline Time now() { return Scheduler::current().now(); }
inline void yield() { Scheduler::current().yield(); }
inline std::uint32_t draw(std::uint32_t bound) { return Scheduler::current().draw(bound); }
inline void sleep(Time d, std::source_location loc = std::source_location::current()) {
  Scheduler::current().sleep(d, loc);
}

}  // namespace wbsim::sim
