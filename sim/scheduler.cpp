// The scheduler's run loop: the run queue, timers, phases and their end,
// scheduling points and the oracle. Fiber switches are in
// sim/fiber_switch.cpp, the wait-for analysis in sim/wait_for.cpp, findings
// in sim/scheduler_findings.cpp.
#include "sim/scheduler.h"

#include <algorithm>

#include <fmt/format.h>

#include "sim/assert.h"
#include "sim/bitwait.h"
#include "sim/bug_switch.h"
#include "sim/checker.h"
#include "sim/coverage.h"
#include "sim/runtime_checkers.h"

namespace ctx = boost::context;

namespace wbsim::sim {

namespace {

class SleepObject final : public WaitObject {
 public:
  SleepObject() : WaitObject("sleep", "clock") {}
};

}  // namespace

// Spare storage of this thread's finished runs. A nested scheduler (one
// made while another runs on the thread) finds it taken and allocates its
// own; whichever ends last hands its storage on.
struct Scheduler::Arena {
  static constexpr std::size_t kMaxSpareFibers = 1024;
  std::vector<std::unique_ptr<Fiber>> fibers;
  std::vector<FiberId> runnable;
  std::vector<ObjectInfo> objects;
  std::vector<std::uint64_t> mark_hits;
  std::vector<std::uint8_t> tape;
};

Scheduler::Arena& Scheduler::arena() {
  thread_local Arena a;
  return a;
}

// A fiber record as a fresh one: a spare keeps only the capacity of its
// name and note stack.
std::unique_ptr<Scheduler::Fiber> Scheduler::new_fiber() {
  Arena& a = arena();
  if (a.fibers.empty()) return std::make_unique<Fiber>();
  std::unique_ptr<Fiber> f = std::move(a.fibers.back());
  a.fibers.pop_back();
  return f;
}

// Runs after the fibers are gone (every continuation empty) and in the
// order the members' destructors would run: the bodies, and what their
// captures own, are destroyed here, fiber by fiber as before.
void Scheduler::recycle_storage() {
  Arena& a = arena();
  for (std::unique_ptr<Fiber>& f : fibers_) {
    if (f->cont || a.fibers.size() >= Arena::kMaxSpareFibers) {
      f.reset();
      continue;
    }
    std::vector<const char*> notes = std::move(f->notes);
    std::string name = std::move(f->name);
    *f = Fiber{};
    notes.clear();
    name.clear();
    f->notes = std::move(notes);
    f->name = std::move(name);
    a.fibers.push_back(std::move(f));
  }
  fibers_.clear();
  if (runnable_.capacity() > a.runnable.capacity()) a.runnable = std::move(runnable_);
  if (objects_.capacity() > a.objects.capacity()) a.objects = std::move(objects_);
  if (mark_hits_.capacity() > a.mark_hits.capacity()) a.mark_hits = std::move(mark_hits_);
  std::vector<std::uint8_t> tape = tape_.take_storage();
  if (tape.capacity() > a.tape.capacity()) a.tape = std::move(tape);
}

WaitObject::WaitObject(const char* kind, std::string name)
    : sched_(Scheduler::current()), kind_(kind), name_(std::move(name)) {
  id_ = sched_.register_object(kind_, name_);
}

Scheduler::Scheduler(const SchedulerConfig& config)
    : config_(config),
      strategy_(make_strategy(config.strategy, config.seed, config.pct_steps_hint, config.replay_tape)),
      fast_rng_(strategy_->fast_random()),
      tape_(std::move(arena().tape)),
      trace_(config.keep_full_trace),
      stacks_(StackPool::for_this_thread()),
      quiet_steps_(config.watch_repeats ? RepeatWatch::kQuietSteps : ~std::uint64_t{0}),
      previous_current_(t_current_scheduler) {
  t_current_scheduler = this;
  if (config.strategy.kind == StrategySpec::Kind::replay)
    static_cast<ReplayStrategy&>(*strategy_).set_step_source(&step_);
  Arena& a = arena();
  runnable_ = std::move(a.runnable);
  objects_ = std::move(a.objects);
  mark_hits_ = std::move(a.mark_hits);
  runnable_.clear();
  objects_.clear();
  mark_hits_.clear();
  objects_.push_back({"none", "-"});  // id 0 is kNoObject
  for (const std::string& name : config_.bugs) {
    const BugSwitch* b = find_bug_switch(name);
    SIM_ASSERT_MSG(b != nullptr, "unknown bug switch '{}'", name);
    if (bugs_.size() <= b->index()) bugs_.resize(b->index() + 1, false);
    bugs_[b->index()] = true;
  }
  sleep_object_ = std::make_unique<SleepObject>();
  bit_waits_ = std::make_unique<BitWaitTable>();
  runnable_.reserve(64);
}

Scheduler::~Scheduler() {
  teardown();
  bit_waits_.reset();
  sleep_object_.reset();
  t_current_scheduler = previous_current_;
  recycle_storage();
}

void Scheduler::no_current_simulation() {
  std::fprintf(stderr, "wbsim: a simulation primitive was used outside a simulation\n");
  std::abort();
}

ObjectId Scheduler::register_object(const char* kind, const std::string& name) {
  objects_.push_back({kind, name});
  return static_cast<ObjectId>(objects_.size() - 1);
}

std::string Scheduler::fiber_name(FiberId id) const {
  if (id == kHost) return "host";
  return id < fibers_.size() ? fibers_[id]->name : "?";
}

std::string Scheduler::object_name(ObjectId id) const {
  if (id >= objects_.size()) return "?";
  return fmt::format("{}:{}", objects_[id].kind, objects_[id].name);
}

// --- the run queue ---------------------------------------------------------

void Scheduler::add_runnable(FiberId id) {
  fibers_[id]->runnable_index = static_cast<std::uint32_t>(runnable_.size());
  runnable_.push_back(id);
}

void Scheduler::remove_runnable(FiberId id) {
  // Swap-remove: the order of runnable_ is a pure function of the run's
  // history, which is all the tape needs.
  const std::uint32_t i = fibers_[id]->runnable_index;
  SIM_ASSERT_CMP(runnable_[i], ==, id);
  const FiberId last = runnable_.back();
  runnable_[i] = last;
  fibers_[last]->runnable_index = i;
  runnable_.pop_back();
}

void Scheduler::cancel_timer(Fiber& f) {
  if (f.deadline != kNever) {
    --live_timers_;
    f.deadline = kNever;
  }
  ++f.wait_gen;
}

FiberId Scheduler::select_after_idle() {
  evaluated(kCheckLivelock);
  while (runnable_.empty()) {
    if (!fire_next_timers()) {
      if (!finding_) end_phase();
      return kHost;
    }
  }
  return select_next();
}

FiberId Scheduler::step_budget_exhausted() {
  finding_ = make_finding("livelock", fmt::format("step budget of {} exhausted before the phase ended",
                                                  config_.step_budget));
  finding_->details = describe_busiest();
  return kHost;
}

bool Scheduler::watch_repeats() {
  evaluated(kCheckLivelock);
  const std::uint64_t records = trace_.count();
  const std::uint64_t from = watched_from_record_;
  watched_from_record_ = records;
  if (step_ - still_since_ == quiet_steps_ + 1) {
    repeats_.reset();
    return false;
  }
  const std::size_t period = repeats_.add(current_, trace_.signature_since(from));
  if (period == 0) return false;
  // The fibers of one period, in the order they ran.
  std::vector<FiberId> who;
  for (std::size_t back = period; back-- > 0;) {
    const FiberId id = repeats_.fiber_back(back);
    if (std::find(who.begin(), who.end(), id) == who.end()) who.push_back(id);
  }
  std::string names;
  for (const FiberId id : who) names += fmt::format("{}'{}'", names.empty() ? "" : ", ", fiber_name(id));
  finding_ = make_finding(
      "livelock", fmt::format("{} {} {} round the same {} step{} over the last {} steps, virtual time standing "
                              "still since step {}",
                              who.size() == 1 ? "fiber" : "fibers", names, who.size() == 1 ? "goes" : "go",
                              period, period == 1 ? "" : "s", RepeatWatch::kWindow, still_since_));
  finding_->details = describe_busiest();
  // The loop has no source line of its own: name the scenario line behind the fiber going round.
  if (current_ != kHost) finding_->scenario_where = scenario_origin(current_);
  return true;
}

bool Scheduler::fire_next_timers() {
  while (!timers_.empty() && timers_.top().gen != fibers_[timers_.top().fiber]->wait_gen) timers_.pop();
  if (timers_.empty()) return false;
  const Time t = timers_.top().deadline;
  if (t > config_.time_budget) {
    finding_ = make_finding("livelock", fmt::format("virtual time budget of {} ms exceeded: next timer at {} ms",
                                                    config_.time_budget / kMs, t / kMs));
    finding_->details = describe_busiest();
    return false;
  }
  if (t > now_) {
    trace(Reason::clock, kNoObject, now_, t);
    now_ = t;
    still_since_ = step_;
  }
  while (!timers_.empty() && timers_.top().deadline == t) {
    const Timer timer = timers_.top();
    timers_.pop();
    Fiber& f = *fibers_[timer.fiber];
    if (timer.gen != f.wait_gen) continue;
    SIM_ASSERT(f.state == State::blocked);
    cancel_timer(f);
    f.timed_out = true;
    f.state = State::runnable;
    add_runnable(timer.fiber);
    trace(Reason::timeout, f.blocked_on ? f.blocked_on->id() : kNoObject, timer.fiber);
  }
  return true;
}

// --- scheduling points -----------------------------------------------------

bool Scheduler::block(WaitObject& obj, const char* op, Time deadline, WaitKind kind, std::source_location loc) {
  SIM_ASSERT(in_fiber());
  SIM_ASSERT(!tearing_down_);
  Fiber& f = *fibers_[current_];
  evaluated(kCheckAtomicSleep);
  if (f.atomic_depth > 0 && kind != WaitKind::spin) {
    Finding finding = make_finding("atomic-sleep", fmt::format("{} on {} while holding a spinlock", op,
                                                               object_name(obj.id())));
    finding.where = where(loc);
    fail(std::move(finding));
  }
  SIM_ASSERT(f.state == State::runnable);
  f.state = State::blocked;
  f.blocked_on = &obj;
  f.wait_op = op;
  f.wait_loc = loc;
  f.wait_kind = kind;
  f.timed_out = false;
  remove_runnable(current_);
  ++f.wait_gen;
  if (deadline != kNever) {
    f.deadline = deadline;
    ++live_timers_;
    timers_.push({deadline, timer_seq_++, current_, f.wait_gen});
  }
  trace(Reason::block, obj.id(), deadline == kNever ? 0 : deadline);
  ++f.steps;
  // Resumed, the fiber re-checks what it waits for: `obj` alone when the
  // operation announced it (yield_at), else anything.
  if (f.resume_object != obj.id()) f.resume_object = kAnyObject;
  // The partial form of deadlock: a cycle of waits closes here, while other
  // fibers may still run. Only this fiber's new edge can close one.
  evaluated(kCheckDeadlock);
  if (deadline == kNever && kind != WaitKind::idle) {
    if (const std::vector<FiberId> cycle = wait_cycle(current_); !cycle.empty()) {
      std::size_t others = 0;
      for (const auto& o : fibers_) others += o->state == State::runnable ? 1 : 0;
      Finding finding = make_finding(
          "deadlock", fmt::format("wait-for cycle of {} fibers closed by '{}' in {}({}); {} other fiber(s) still "
                                  "runnable",
                                  cycle.size(), f.name, op, obj.name(), others));
      finding.where = where(loc);
      finding.details = describe_blocked();
      fail(std::move(finding));
    }
  }
  const FiberId next = select_next();
  if (next != current_) switch_to(next);
  // Resumed: woken, timed out, or (host ran a later phase) still runnable.
  f.blocked_on = nullptr;
  return !f.timed_out;
}

void Scheduler::wake(FiberId id, const WaitObject& by) {
  if (tearing_down_) return;
  Fiber& f = *fibers_[id];
  if (f.state != State::blocked) return;
  cancel_timer(f);
  f.state = State::runnable;
  f.timed_out = false;
  add_runnable(id);
  trace(Reason::wake, by.id(), id);
}

void Scheduler::sleep(Time duration, std::source_location loc) {
  // Like msleep(): a stray wake (wake_up_process) does not end the sleep.
  const Time deadline = now_ + duration;
  if (in_fiber()) {
    // Resumed, it only learns whether the timer fired: sleeps commute (two
    // timers' order only orders the fibers they make runnable together).
    fibers_[current_]->resume_object = sleep_object_->id();
    fibers_[current_]->resume_shared = true;
  }
  while (block(*sleep_object_, "sleep", deadline, WaitKind::normal, loc)) {
  }
}

std::uint32_t Scheduler::draw(std::uint32_t bound) {
  SIM_ASSERT_CMP(bound, >=, 1u);
  if (bound == 1) return 0;
  const std::uint32_t v = strategy_->draw(bound);
  tape_.push(v);
  trace(Reason::draw, kNoObject, bound, v);
  return v;
}

std::uint32_t Scheduler::decide(std::uint32_t bound, std::uint32_t seeded) {
  SIM_ASSERT_CMP(seeded, <, bound);
  const std::uint32_t v = strategy_->decide(bound, seeded);
  tape_.push(v);
  trace(Reason::draw, kNoObject, bound, v);
  return v;
}

// --- step footprints (explore's partial-order reduction) -------------------

void Scheduler::open_step(FiberId chosen) {
  open_step_ = tape_.size() - 1;
  if (footprints_.size() <= open_step_) footprints_.resize(open_step_ + 1);
  StepFootprint& fp = footprints_[open_step_];
  const ObjectId first = fibers_[chosen]->resume_object;
  if (first == kAnyObject) {
    fp.unknown = true;
  } else if (first != kNoObject) {
    (fibers_[chosen]->resume_shared ? fp.shared : fp.objects).push_back(first);
  }
  // Kept until the fiber's next yield_at: a wait re-checks its condition at
  // every wake-up (a stale guard only adds a dependence).
  const ObjectId guard = fibers_[chosen]->resume_guard;
  if (guard != kNoObject && !fp.unknown && guard != first) fp.shared.push_back(guard);
}

void Scheduler::close_step() {
  footprints_[open_step_].ended_runnable =
      current_ != kHost && fibers_[current_]->state == State::runnable;
  open_step_ = kNoStep;
}

void Scheduler::note_object(ObjectId id, std::uint16_t reason) {
  if (id == kNoObject) return;
  StepFootprint& fp = footprints_[open_step_];
  if (fp.acted_on(id)) return;
  // A sleep's block on the clock, and a shared operation's own lines (not
  // a block, not a wake-up of another fiber), keep the access shared.
  const bool blocks_or_wakes = reason == static_cast<std::uint16_t>(Reason::block) ||
                               reason == static_cast<std::uint16_t>(Reason::wake);
  if (id == sleep_object_->id() || (fp.shares(id) && !blocks_or_wakes)) {
    if (!fp.shares(id)) fp.shared.push_back(id);
    return;
  }
  std::erase(fp.shared, id);
  fp.objects.push_back(id);
}

std::vector<StepFootprint> Scheduler::footprints() const {
  std::vector<StepFootprint> out = footprints_;
  out.resize(tape_.size());
  return out;
}

void Scheduler::size_mark_hits(std::uint32_t index) {
  mark_hits_.resize(std::max<std::size_t>(coverage_marks().size(), std::size_t{index} + 1));
}

}  // namespace wbsim::sim
