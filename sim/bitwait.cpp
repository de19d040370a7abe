#include "sim/bitwait.h"

#include <fmt/format.h>

#include "sim/scheduler.h"

namespace wbsim::sim {

struct BitWaitTable::Queue : WaitObject {
  Queue(std::uint32_t n, unsigned bit) : WaitObject("bit", fmt::format("word{}.bit{}", n, bit)) {}
  void signal(FiberId by, std::source_location loc) { note_signal(by, loc); }
  WaitList waiters;
};

BitWaitTable::BitWaitTable() = default;
BitWaitTable::~BitWaitTable() = default;

BitWaitTable::Queue& BitWaitTable::queue(const FlagsWord& word, unsigned bit) {
  auto& slot = queues_[Key{&word, bit}];
  if (!slot) slot = std::make_unique<Queue>(created_++, bit);
  return *slot;
}

void BitWaitTable::wait_on_bit(const FlagsWord& word, unsigned bit, std::source_location loc) {
  Scheduler& s = Scheduler::current();
  s.yield();
  if (!test_bit(bit, word)) return;
  Queue& q = queue(word, bit);
  s.trace(Reason::bit_wait, q.id(), bit);
  auto clear = [&] { return !test_bit(bit, word); };
  WaitConditionScope scope(s, clear);
  wait_until(s, q, q.waiters, "wait_on_bit", clear, kNever, WaitKind::normal, loc);
}

bool BitWaitTable::wait_on_bit_timeout(const FlagsWord& word, unsigned bit, Time timeout, std::source_location loc) {
  Scheduler& s = Scheduler::current();
  s.yield();
  if (!test_bit(bit, word)) return true;
  Queue& q = queue(word, bit);
  s.trace(Reason::bit_wait, q.id(), bit);
  auto clear = [&] { return !test_bit(bit, word); };
  WaitConditionScope scope(s, clear);
  return wait_until(s, q, q.waiters, "wait_on_bit_timeout", clear, s.now() + timeout, WaitKind::normal, loc);
}

void BitWaitTable::wake_up_bit(const FlagsWord& word, unsigned bit, std::source_location loc) {
  Scheduler& s = Scheduler::current();
  s.yield();
  auto it = queues_.find(Key{&word, bit});
  if (it == queues_.end()) return;
  Queue& q = *it->second;
  q.signal(s.current_fiber(), loc);
  // As wake_up: a waiter that finds the bit still set sleeps again.
  const std::size_t n = wake_those_it_concerns(s, q.waiters, q);
  s.trace(Reason::bit_wake, q.id(), bit, n);
}

void wait_on_bit(const FlagsWord& word, unsigned bit, std::source_location loc) {
  Scheduler::current().bit_waits().wait_on_bit(word, bit, loc);
}

bool wait_on_bit_timeout(const FlagsWord& word, unsigned bit, Time timeout, std::source_location loc) {
  return Scheduler::current().bit_waits().wait_on_bit_timeout(word, bit, timeout, loc);
}

void wake_up_bit(const FlagsWord& word, unsigned bit, std::source_location loc) {
  Scheduler::current().bit_waits().wake_up_bit(word, bit, loc);
}

void clear_and_wake_up_bit(unsigned bit, FlagsWord& word, std::source_location loc) {
  Scheduler::current().yield();
  clear_bit(bit, word);
  wake_up_bit(word, bit, loc);
}

}  // namespace wbsim::sim
