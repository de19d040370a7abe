//! WaitObject: anything a fiber can block on, with what the deadlock report
//! needs to know about it (kind, name, who holds it or last signalled it).
#pragma once

#include <source_location>
#include <string>

#include "sim/types.h"

namespace wbsim::sim {

class Scheduler;

class WaitObject {
 public:
  // Registers with the scheduler of the calling thread (which must exist).
  WaitObject(const char* kind, std::string name);
  virtual ~WaitObject() = default;
  WaitObject(const WaitObject&) = delete;
  WaitObject& operator=(const WaitObject&) = delete;

  ObjectId id() const { return id_; }
  const char* kind() const { return kind_; }
  const std::string& name() const { return name_; }

  // The fiber that holds this object (locks), or kNoFiber.
  virtual FiberId holder() const { return kNoFiber; }
  virtual std::source_location held_at() const { return {}; }
  // Extra state for the deadlock report ("count=0", "readers=2"), may be empty.
  virtual std::string state() const { return {}; }

  FiberId last_signaller() const { return last_signaller_; }
  std::source_location signalled_at() const { return signalled_at_; }

 protected:
  void note_signal(FiberId by, std::source_location loc) {
    last_signaller_ = by;
    signalled_at_ = loc;
  }
  Scheduler& sched_;

 private:
  const char* kind_;
  std::string name_;
  ObjectId id_;
  FiberId last_signaller_ = kNoFiber;
  std::source_location signalled_at_{};
};

}  // namespace wbsim::sim
