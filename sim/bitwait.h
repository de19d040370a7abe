//! Bit waits: wait_on_bit / wake_up_bit on a flags word, as folios use for
//! PG_locked and PG_writeback.
//!
//! Like the kernel's hashed bit-waitqueues, waiters are found by (word, bit);
//! here each pair gets its own queue, created on first use and named by
//! creation order, so nothing about it depends on an address except the
//! lookup itself. The waker must call wake_up_bit after clearing the bit, as
//! in the kernel; forgetting to is a lost wake-up the deadlock check reports,
//! and so is waking before clearing (a waiter that finds the bit still set
//! sleeps again, as one that ran at once on another CPU would).
#pragma once

#include <cstdint>
#include <memory>
#include <source_location>
#include <unordered_map>

#include "sim/wait_list.h"
#include "sim/wait_object.h"

namespace wbsim::sim {

using FlagsWord = std::uint64_t;

class BitWaitTable {
 public:
  BitWaitTable();
  ~BitWaitTable();
  // Waits until bit `bit` of `word` is clear.
  void wait_on_bit(const FlagsWord& word, unsigned bit, std::source_location loc);
  bool wait_on_bit_timeout(const FlagsWord& word, unsigned bit, Time timeout, std::source_location loc);
  void wake_up_bit(const FlagsWord& word, unsigned bit, std::source_location loc);

 private:
  struct Queue;
  struct Key {
    const FlagsWord* word;
    unsigned bit;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const {
      return std::hash<const void*>{}(k.word) ^ (std::size_t{k.bit} * 0x9e3779b97f4a7c15ULL);
    }
  };
  Queue& queue(const FlagsWord& word, unsigned bit);
  // Looked up by key only, never iterated: its order cannot leak into a run.
  std::unordered_map<Key, std::unique_ptr<Queue>, KeyHash> queues_;
  std::uint32_t created_ = 0;
};

inline bool test_bit(unsigned bit, const FlagsWord& word) { return (word >> bit) & 1u; }
inline void set_bit(unsigned bit, FlagsWord& word) { word |= FlagsWord{1} << bit; }
inline void clear_bit(unsigned bit, FlagsWord& word) { word &= ~(FlagsWord{1} << bit); }

void wait_on_bit(const FlagsWord& word, unsigned bit, std::source_location loc = std::source_location::current());
bool wait_on_bit_timeout(const FlagsWord& word, unsigned bit, Time timeout,
                         std::source_location loc = std::source_location::current());
void wake_up_bit(const FlagsWord& word, unsigned bit, std::source_location loc = std::source_location::current());
// clear_bit + wake_up_bit, the usual unlock sequence.
void clear_and_wake_up_bit(unsigned bit, FlagsWord& word, std::source_location loc = std::source_location::current());

}  // namespace wbsim::sim
