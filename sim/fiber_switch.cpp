// The scheduler's fiber switches (sim/scheduler.cpp is the run loop,
// sim/wait_for.cpp the wait-for analysis): spawning, the jump from fiber to
// fiber, a fiber's first entry and its exit, and unwinding the fibers that
// never finished. Every jump is bracketed for AddressSanitizer
// (sim/fiber_sanitizer.h); without it the brackets are empty.
//
// The jumps, and who tells ASan what:
//   creation    spawn: start .. finish around Boost's first jump into the
//               new stack, then our own stack set again
//   resume      switch_to: start (keep my fake stack) .. finish (take it back)
//   first entry enter_fiber: finish (no fake stack yet)
//   exit        the entry lambda, after finish_current: start (mine dies)
//   unwind      unwind_fiber: start .. finish around the fiber's destruction;
//               on the fiber's side switch_to's catch finishes and the entry
//               lambda's catch starts back (its fake stack dies). A fiber
//               that never ran runs none of our code while it unwinds.
#include <cstddef>
#include <exception>
#include <new>

#include <fmt/format.h>

#include "sim/assert.h"
#include "sim/scheduler.h"

namespace ctx = boost::context;

namespace wbsim::sim {

namespace {

// A switch to nowhere: no fake frames are made until asan_end_creation.
void asan_begin_creation(FiberAsanState& self) { asan_start_switch(&self, StackBounds{}); }

// Back from nowhere: the finish takes the bounds given to the start for
// ours, so a second switch, to our own stack, sets them again.
void asan_end_creation(FiberAsanState& self) {
  StackBounds mine;
  asan_finish_switch(self, &mine);
  asan_start_switch(&self, mine);
  asan_finish_switch(self, nullptr);
}

}  // namespace

FiberId Scheduler::spawn(std::string name, std::function<void()> body, std::source_location loc) {
  SIM_ASSERT(!tearing_down_);
  const auto id = static_cast<FiberId>(fibers_.size());
  Fiber& f = *fibers_.emplace_back(new_fiber());
  f.name = std::move(name);
  f.body = std::move(body);
  f.spawn_loc = loc;
  f.parent = in_fiber() ? current_ : kNoFiber;
  // Creating the continuation jumps into the new stack once, where Boost's
  // fiber_entry makes its frame (and, inlined, the frame of the record's
  // run() that calls the lambda below). Made outside a switch, ASan would
  // take that frame from the creator's fake stack, which may die (a fiber's)
  // or be collected long before this fiber exits.
  asan_begin_creation(asan_of(current_));
  // The lambda's frame is made while ASan is between start and finish, so
  // it lives on the real stack, never in the fake stack that dies at exit.
  f.cont = ctx::fiber(std::allocator_arg, PooledStack{&stacks_, &f.asan.stack}, [this, id](ctx::fiber&& from) {
    enter_fiber(id, std::move(from));
    if constexpr (kAsan) {
      try {
        run_body(id);
      } catch (const ctx::detail::forced_unwind&) {
        // Unwound by teardown or kill: back to the unwinder, this fiber dies.
        asan_start_switch(nullptr, unwinder_stack_);
        throw;
      }
    } else {
      run_body(id);
    }
    ctx::fiber next = finish_current();
    asan_start_switch(nullptr, asan_of(current_).stack);
    return next;
  });
  asan_end_creation(asan_of(current_));
  add_runnable(id);
  strategy_->on_spawn(id);
  trace(Reason::spawn, kNoObject, id);
  return id;
}

void Scheduler::enter_fiber(FiberId id, ctx::fiber&& from) {
  Fiber& f = *fibers_[id];
  StackBounds came_from;
  asan_finish_switch(f.asan, &came_from);
  if (switched_from_ == kHost) host_asan_.stack = came_from;
  f.started = true;
  adopt(std::move(from));
}

void Scheduler::run_body(FiberId id) {
  std::string what;
  try {
    fibers_[id]->body();
    return;
  } catch (const ctx::detail::forced_unwind&) {
    throw;  // teardown unwinding this fiber, not the fiber's failure
  } catch (const std::exception& e) {
    what = fmt::format("uncaught exception: {}", e.what());
  } catch (...) {
    what = "uncaught exception of a type not derived from std::exception";
  }
  // Outside the handler: the C++ runtime keeps its caught-exception stack
  // per thread, not per fiber, so no fiber may switch away inside a catch.
  fail(make_finding("exception", std::move(what)));
}

ctx::fiber Scheduler::finish_current() {
  Fiber& f = *fibers_[current_];
  f.state = State::finished;
  remove_runnable(current_);
  trace(Reason::exit, kNoObject);
  const FiberId next = select_next();
  SIM_ASSERT(next != current_);
  switched_from_ = current_;
  switched_from_slot_ = &slot(current_);
  current_ = next;
  // Returning a continuation from the entry function jumps to it and frees
  // this fiber's stack; the resumed side adopts an empty `from`.
  return std::move(slot(next));
}

void Scheduler::adopt(ctx::fiber&& from) {
  if (from) *switched_from_slot_ = std::move(from);
}

void Scheduler::switch_to(FiberId next) {
  ++switches_;
  const FiberId self = current_;
  switched_from_ = self;
  switched_from_slot_ = &slot(self);
  current_ = next;
  asan_start_switch(&asan_of(self), asan_of(next).stack);
  ctx::fiber from;
  if constexpr (kAsan) {
    try {
      from = std::move(slot(next)).resume();
    } catch (const ctx::detail::forced_unwind&) {
      // This fiber is being unwound: it landed here, on its own stack.
      asan_finish_switch(asan_of(self), &unwinder_stack_);
      throw;
    }
  } else {
    from = std::move(slot(next)).resume();
  }
  StackBounds came_from;
  asan_finish_switch(asan_of(self), &came_from);
  if (switched_from_ == kHost) host_asan_.stack = came_from;
  adopt(std::move(from));
}

void Scheduler::run() {
  SIM_ASSERT(!in_fiber());
  SIM_ASSERT(!finding_.has_value());
  still_since_ = step_;  // the host may have changed anything between phases
  const FiberId next = select_next();
  if (next != kHost) switch_to(next);
  if (finding_) {
    teardown();
    throw RunFailed{};
  }
}

void Scheduler::unwind_fiber(Fiber& f) {
  // Destroying a suspended continuation jumps to it and throws
  // forced_unwind there; its destructors run and it jumps back.
  FiberAsanState& self = asan_of(current_);
  asan_start_switch(&self, f.asan.stack);
  f.cont = ctx::fiber{};
  StackBounds mine;  // when the fiber never ran: still ASan's idea of our stack
  asan_finish_switch(self, &mine);
  if (kAsan && !f.started) {
    // Nothing of ours ran over there to switch back, so the finish above
    // took the dead fiber's stack for ours: set ours again.
    asan_start_switch(&self, mine);
    asan_finish_switch(self, nullptr);
  }
}

void Scheduler::abandon_fibers() {
  SIM_ASSERT(!in_fiber());
  for (const std::unique_ptr<Fiber>& owned : fibers_) {
    Fiber& f = *owned;
    if (f.state != State::finished && f.cont) {
      // Moved into storage that is never destroyed: destroying a
      // continuation would unwind it.
      alignas(ctx::fiber) std::byte sink[sizeof(ctx::fiber)];
      new (sink) ctx::fiber(std::move(f.cont));
      asan_forget_stack(f.asan.stack);
      ctx::stack_context sctx;
      sctx.size = f.asan.stack.size;
      sctx.sp = const_cast<char*>(static_cast<const char*>(f.asan.stack.bottom)) + f.asan.stack.size;
      stacks_.deallocate(sctx);
    }
    f.state = State::finished;
  }
  runnable_.clear();
}

void Scheduler::teardown() {
  if (tearing_down_) return;
  tearing_down_ = true;
  // Unwinding a fiber runs the destructors on its stack; with tearing_down_
  // set, the primitives they touch neither schedule nor assert.
  for (std::size_t i = fibers_.size(); i-- > 0;) {
    Fiber& f = *fibers_[i];
    if (f.state != State::finished) {
      unwind_fiber(f);
      f.state = State::finished;
    }
  }
  runnable_.clear();
}

void Scheduler::kill(FiberId id) {
  SIM_ASSERT(id != current_);
  Fiber& f = *fibers_[id];
  if (f.state == State::finished) return;
  if (f.state == State::runnable) remove_runnable(id);
  cancel_timer(f);
  f.state = State::finished;
  trace(Reason::kill, kNoObject, id);
  const bool was = tearing_down_;
  tearing_down_ = true;
  unwind_fiber(f);
  tearing_down_ = was;
}

}  // namespace wbsim::sim
