//! A property checker: a model Observer (model/events.h) that may inspect
//! the model's state and never changes it, plus a verdict at quiescence.
//!
//! Each checker declares its stable name with WBSIM_CHECKER (sim/checker.h)
//! and reports through WBSIM_CHECK, so every evaluation is counted and a
//! failure is a finding under that name: which folio, request, subrequest,
//! stream or fiber; which event broke what; expected and actual values.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "model/events.h"
#include "model/netfs/request.h"
#include "sim/checker.h"

namespace wbsim::checkers {

struct Options {
  // ordered-extension: also require extending writes to complete in
  // ascending order (the stricter mode of N19).
  bool strict_extension = false;
};

class Checker : public model::Observer {
 public:
  // The end of the liveness phase: faults healed, every file synced, the
  // flusher stopped, no fiber left to run.
  virtual void quiescent(model::World& w) {}
};

// How requests and subrequests are named in findings (as the trace does).
inline std::string wreq_name(const model::NetfsIoRequest& r) { return fmt::format("R={:08x}", r.debug_id); }
inline std::string sreq_name(const model::NetfsIoSubrequest& s) {
  return fmt::format("R={:08x}[{:x}] (stream {}, {}+{})", s.rreq->debug_id, s.debug_index, s.stream_nr, s.start,
                     s.len);
}
// A key for per-request state that does not depend on an address.
inline std::uint64_t wreq_key(const model::NetfsIoRequest& r) {
  return std::uint64_t{r.inode->ino} << 32 | r.debug_id;
}
inline sim::FiberId current_fiber() { return sim::Scheduler::current().current_fiber(); }

// Factories, one per file.
std::unique_ptr<Checker> make_folio_state_checker();
std::unique_ptr<Checker> make_request_state_checker();
std::unique_ptr<Checker> make_retry_checker();
std::unique_ptr<Checker> make_results_checker();
std::unique_ptr<Checker> make_zero_point_checker();
std::unique_ptr<Checker> make_coalescing_checker();
std::unique_ptr<Checker> make_liveness_checker();
std::unique_ptr<Checker> make_writeback_truth_checker();
std::unique_ptr<Checker> make_writeback_control_checker();
std::unique_ptr<Checker> make_dirty_throttle_checker();
std::unique_ptr<Checker> make_mapped_access_checker();
std::unique_ptr<Checker> make_write_group_checker();
class Shadow;
std::unique_ptr<Checker> make_data_integrity_checker(Shadow& shadow);
std::unique_ptr<Checker> make_app_contract_checker();
std::unique_ptr<Checker> make_server_protocol_checker();
std::unique_ptr<Checker> make_ordered_extension_checker(Shadow& shadow, const Options& options);
std::unique_ptr<Checker> make_dio_coherency_checker();
std::unique_ptr<Checker> make_dio_integrity_checker();
std::unique_ptr<Checker> make_ploop_protocol_checker();
std::unique_ptr<Checker> make_ploop_crash_checker();

}  // namespace wbsim::checkers
