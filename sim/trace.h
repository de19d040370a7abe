//! The trace: one fixed-column line per state transition of the runtime.
//!
//! Records are kept in structured form (no formatting on the hot path): the
//! last `kRingSize` in a ring buffer for failure reports, all of them only when
//! a full trace was asked for (`--trace FILE`, determinism diffs). A 64-bit
//! hash runs over every record, so two runs of the same seed can be compared
//! without keeping either trace. Only deterministic fields are hashed: ids,
//! virtual time, step numbers, enum values; never an address or a name.
//!
//! A change of running fiber is not a line of its own: the fiber column of
//! the next line shows it. The run's hash (Scheduler::run_hash) combines
//! this hash with the tape's, so schedules that differ only between traced
//! events still hash apart.
//!
//! Reasons come from a closed enum. The runtime owns codes below 64; the
//! model registers its own block of codes (with their symbols) at start-up.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "sim/types.h"

namespace wbsim::sim {

enum class Reason : std::uint16_t {
  spawn,        // SPAWN fiber created by the traced fiber (a = new fiber)
  exit,         // EXIT  fiber body returned
  block,        // BLOCK fiber blocked on object (a = deadline or 0)
  wake,         // WAKE  fiber made runnable by the traced fiber (a = woken)
  timeout,      // TMOUT a timed wait expired (a = woken fiber)
  clock,        // CLOCK virtual clock jumped (a = old time, b = new time)
  lock,         // LOCK  mutex/spinlock/rwsem-write taken
  unlock,       // UNLCK released
  read_lock,    // RLOCK rwsem taken shared
  read_unlock,  // RUNLK rwsem released shared
  sem_down,     // SEMDN semaphore count taken (a = count, b = remaining)
  sem_up,       // SEMUP semaphore count returned (a = count, b = now)
  complete,     // CMPLT completion signalled (a = done count)
  wake_up,      // WAKUP waitqueue woken (a = waiters woken)
  bit_wait,     // BITWT wait_on_bit started (a = bit)
  bit_wake,     // BITWK wake_up_bit (a = bit, b = waiters woken)
  work_queue,   // WQUE  work queued (a = work id)
  work_start,   // WSTRT worker began a work item (a = work id)
  work_end,     // WEND  worker finished a work item (a = work id)
  kthread_stop, // KSTOP kthread asked to stop
  fault,        // FAULT fault site fired (a = site index)
  draw,         // DRAW  random value drawn (a = bound, b = value)
  kill,         // KILL  fiber torn down by its owner
  mark,         // MARK  coverage mark hit (a = mark index, marks sorted by name)
  fail,         // FAIL  a checker or assertion fired
  downgrade,    // DOWNG rwsem write hold turned into a read hold (downgrade_write)
  sim_reasons_end = 64,
};

struct TraceRecord {
  Time time;
  std::uint64_t step;
  std::uint64_t a;
  std::uint64_t b;
  FiberId fiber;
  ObjectId object;
  std::uint16_t reason;
};

// Five-character symbol of a reason code; "?????" for an unregistered one.
const char* reason_symbol(std::uint16_t reason);

// Register the symbols of codes [first, first + symbols.size()). Called from
// static initialisers of the layers above sim; asserts that ranges do not
// overlap. The table is immutable once main() runs.
void register_reason_symbols(std::uint16_t first, std::span<const char* const> symbols);

class Trace {
 public:
  static constexpr std::size_t kRingSize = 256;

  explicit Trace(bool keep_all) : keep_all_(keep_all) {}

  void add(const TraceRecord& r) {
    ring_[count_ % kRingSize] = r;
    ++count_;
    // The fields are folded with independent multiplies (they pipeline), and
    // only the fold enters the serial chain: one dependent mix per record
    // keeps the trace off the scheduler step's critical path.
    const std::uint64_t fold = r.time * 0x9e3779b97f4a7c15ULL + r.step * 0xc2b2ae3d27d4eb4fULL +
                               r.a * 0x165667b19e3779f9ULL + r.b * 0xd6e8feb86659fd93ULL +
                               ((std::uint64_t{r.fiber} << 32 | r.object) ^ (std::uint64_t{r.reason} << 48)) *
                                   0xff51afd7ed558ccdULL;
    hash_ = mix(hash_, fold);
    if (keep_all_) all_.push_back(r);
  }

  std::uint64_t hash() const { return finish(hash_ ^ count_); }
  std::uint64_t count() const { return count_; }
  bool keeps_all() const { return keep_all_; }
  const std::vector<TraceRecord>& all() const { return all_; }
  // The last min(count, kRingSize) records, oldest first.
  std::vector<TraceRecord> tail() const;
  // What records [first, count) did, every field but the time and the step
  // folded (sim/repeat_watch.h compares steps with it). More records than
  // the ring holds fold to a value no other span gives.
  std::uint64_t signature_since(std::uint64_t first) const;

 private:
  static std::uint64_t mix(std::uint64_t h, std::uint64_t x) {
    h ^= x;
    h *= 0x9e3779b97f4a7c15ULL;
    return h ^ (h >> 29);
  }
  static std::uint64_t finish(std::uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
  }

  bool keep_all_;
  std::uint64_t count_ = 0;
  std::uint64_t hash_ = 0x243f6a8885a308d3ULL;
  std::array<TraceRecord, kRingSize> ring_;  // not cleared: a run writes before it reads, and a run is short
  std::vector<TraceRecord> all_;
};

// The names a formatter needs to turn ids into words.
class TraceNames {
 public:
  virtual ~TraceNames() = default;
  virtual std::string fiber_name(FiberId id) const = 0;
  virtual std::string object_name(ObjectId id) const = 0;
};

// One fixed-column line (no newline); columns are documented in docs/trace.md.
std::string format_trace_line(const TraceRecord& r, const TraceNames& names);
std::string format_trace_header();

}  // namespace wbsim::sim
