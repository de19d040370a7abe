//! The connection and its server (fs/fuse/dev.c, reduced): requests move
//! pending -> processing -> answered; server threads are fibers; the
//! server can stall, drop replies, freeze, crash, restart and be aborted.
#include "model/fuse/fuse.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "model/events.h"
#include "model/mm/flusher.h"
#include "model/mm/page_writeback.h"
#include "model/mm/reclaim.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/coverage.h"
#include "sim/fault.h"
#include "sim/scheduler.h"
#include "model/fuse/internal.h"

namespace wbsim::model {

using sim::mark;

WBSIM_MARK_IN(kMarkFuseLostInCrash, "fuse.request_lost_in_crash", "fuse/crash_restart",
              "the server died holding requests it had read");
WBSIM_MARK_IN(kMarkFuseResend, "fuse.notify_resend", "fuse/crash_restart", "FUSE_NOTIFY_RESEND requeued lost requests");
WBSIM_MARK_IN(kMarkFuseAborted, "fuse.request_aborted", "fuse/*", "a request ended with the connection's abort");

WBSIM_FAULT_SITE(kFuseServerStall, "fuse.server_stall",
                 "a FUSE server thread stalls on its backing store before answering a request");

FuseConn::FuseConn(World& w, const FuseOptions& options) : w_(w), options_(options) {
  w.on_heal([this] { heal(); });
  // The liveness phase writes back and fsyncs every FUSE file too, then
  // stops the server.
  w.on_drain([this] { drain(); });
  w.sb_no_data_integrity = options.sb_no_data_integrity;
  SIM_ASSERT_CMP(options.server_threads, >=, 1u);
  if (options.cpus != 0) cpus_ = std::make_unique<sim::Semaphore>("cpus", options.cpus);
  for (unsigned i = 0; i < options.server_threads; ++i) {
    threads_.push_back(std::make_unique<sim::Kthread>(fmt::format("fuse-server{}", i),
                                                      [this](sim::Kthread& self) { serve(self); }));
  }
}

FuseConn::~FuseConn() = default;

int FuseConn::send_sync(FuseInode& inode, FuseOpcode opcode, const char* note) {
  sim::Completion done{"fuse.reply"};
  int error = 0;
  auto req = std::make_unique<Request>();
  req->opcode = opcode;
  req->inode = &inode;
  req->done = &done;
  req->error = &error;
  queue(std::move(req));
  sim::Scheduler::current().push_note(note);
  done.wait();
  sim::Scheduler::current().pop_note();
  return error;
}

void FuseConn::heal() {
  if (!connected_) return;
  dropping_ = false;
  frozen_ = false;
  alive_ = true;
  // Requests a buggy or crashed server read and never answered are
  // answered now (the liveness phase's stand-in for a recovered server).
  // A malicious server stays as it is: only abort() ends that.
  if (!malicious_) resend_processing();
  queue_wq_.wake_up();
}

void FuseConn::resend_processing() {
  // fuse_resend: the processing list goes back to the head of the pending
  // list, oldest first.
  for (auto it = processing_.rbegin(); it != processing_.rend(); ++it) pending_.push_front(std::move(it->second));
  processing_.clear();
}

void FuseConn::crash(bool keep_fd) {
  alive_ = false;
  ++generation_;
  trace_ev(Ev::fuse_conn, 0, processing_.size());
  if (!processing_.empty()) mark(kMarkFuseLostInCrash);
  if (!keep_fd) abort();
}

void FuseConn::restart(bool resend) {
  if (!connected_) return;
  alive_ = true;
  trace_ev(Ev::fuse_conn, 1, resend ? processing_.size() : 0);
  if (resend && !processing_.empty()) {
    mark(kMarkFuseResend);
    resend_processing();
  }
  queue_wq_.wake_up();
}

void FuseConn::abort() {
  if (!connected_) return;
  connected_ = false;
  ++generation_;
  trace_ev(Ev::fuse_conn, 2, processing_.size() + pending_.size());
  // end_requests on the processing and pending lists, in that order.
  std::vector<std::unique_ptr<Request>> ended;
  for (auto& [unique, req] : processing_) ended.push_back(std::move(req));
  processing_.clear();
  for (auto& req : pending_) ended.push_back(std::move(req));
  pending_.clear();
  for (auto& req : ended) {
    mark(kMarkFuseAborted);
    end_request(*req, kECONNABORTED);
  }
  queue_wq_.wake_up();
}

void FuseConn::stop() {
  for (auto& t : threads_) {
    if (!t->exited()) t->stop();
  }
}

void FuseConn::drain() {
  if (options_.client == FuseClient::v6_18) {
    // The 6.18 client's program closed its files: what is left are
    // background requests (WRITEs, RELEASE) on their way to the server.
    while (num_background_ > 0 || !pending_.empty()) sim::sleep(sim::kMs);
  } else {
    for (auto& inode : files_) fsync(*inode);
  }
  stop();
}

void FuseConn::cpu_work(sim::Time ns) {
  if (ns == 0) return;
  if (cpus_ == nullptr) {
    sim::sleep(ns);
    return;
  }
  cpus_->down();
  sim::sleep(ns);
  cpus_->up();
}

void FuseConn::queue(std::unique_ptr<Request> req) {
  req->unique = next_unique_++;
  ++stats_.requests;
  if (req->opcode == FuseOpcode::write && stats_.folios_sent++ == 0) stats_.first_send = sim::now();
  if (!connected_) {
    end_request(*req, kENOTCONN);
    return;
  }
  trace_ev(Ev::fuse_queue, req->unique, static_cast<std::uint64_t>(req->opcode));
  pending_.push_back(std::move(req));
  queue_wq_.wake_up();
}

void FuseConn::serve(sim::Kthread& self) {
  sim::Scheduler& sched = sim::Scheduler::current();
  for (;;) {
    queue_wq_.wait_event_idle(
        [&] { return (!pending_.empty() && !frozen_ && alive_ && connected_) || self.should_stop(); });
    if (self.should_stop()) return;
    // fuse_dev_do_read: the request moves to the processing list.
    const std::uint64_t unique = pending_.front()->unique;
    processing_[unique] = std::move(pending_.front());
    pending_.pop_front();
    Request* req = processing_[unique].get();
    trace_ev(Ev::fuse_read, unique, 0);
    if (malicious_ || (dropping_ && req->opcode == FuseOpcode::write)) continue;  // read, never answered
    const std::uint64_t generation = generation_;
    if (req->opcode == FuseOpcode::write) {
      // The handler's own memory: buffers, its backing file's page cache.
      sched.push_note("the FUSE server's WRITE handler");
      // A user process's memory, page by page: a fault reclaims or
      // OOM-kills, it never fails.
      const bool got = alloc_pages(w_.mm(), options_.handler_alloc_pages, GFP_KERNEL);
      SIM_ASSERT_MSG(got, "the FUSE server's allocation of {} pages failed", options_.handler_alloc_pages);
      sched.pop_note();
      cpu_work(options_.handler_time + options_.handler_ns_per_kib * static_cast<sim::Time>(req->data.size() / 1024));
      free_pages(w_.mm(), options_.handler_alloc_pages);
    } else {
      cpu_work(options_.handler_time);
    }
    if (sim::fault(kFuseServerStall)) sim::sleep((1 + sim::draw(50)) * sim::kMs);  // not CPU: waiting on its disk
    // The process died (or the connection was aborted) while handling it:
    // no answer is written; the request is lost with the process or was
    // ended by the abort.
    if (generation != generation_ || processing_.count(unique) == 0) continue;
    auto owned = std::move(processing_[unique]);
    processing_.erase(unique);
    if (owned->v618) {
      Reply reply;
      const int error = serve_618(*owned, &reply);
      end_request_618(*owned, error, reply);
      continue;
    }
    if (owned->opcode == FuseOpcode::write) {
      auto& store = owned->inode->server_data;
      const auto end = static_cast<std::size_t>(owned->pos) + owned->data.size();
      if (store.size() < end) store.resize(end, 0);
      std::copy(owned->data.begin(), owned->data.end(), store.begin() + owned->pos);
    }
    end_request(*owned, 0);
  }
}

void FuseConn::end_request(Request& req, int error) {
  if (req.v618) {  // ended without an answer: an abort, or no connection
    end_request_618(req, error, Reply{});
    return;
  }
  trace_ev(Ev::fuse_end, req.unique, static_cast<std::uint64_t>(-error));
  if (req.opcode != FuseOpcode::write) {
    *req.error = error;
    req.done->complete();
    return;
  }
  // fuse_writepage_end
  if (error != 0) {
    mapping_set_error(req.inode->mapping, -5);  // -EIO
  } else {
    stats_.bytes_written += req.data.size();
    stats_.last_reply = sim::now();
  }
  stats_.request_time += sim::now() - req.started;
  ++stats_.writes_answered;
  for (Folio* folio : req.folios) {
    stats_.writeback_time += sim::now() - req.started;
    if (error == 0) ++stats_.folios_written;
    folio_end_writeback(*folio);
    folio_put(*folio);
  }
  for (const pgoff_t index : req.temp_indices) {
    if (error == 0) ++stats_.folios_written;
    req.inode->writeback_in_flight.erase(index);
    --w_.mm().nr_writeback;
    free_pages(w_.mm(), 1);  // the temporary page
  }
  if (!req.temp_indices.empty()) req.inode->in_flight_wq->wake_up();
}

// A request of the 6.18 client, as fuse_simple_request and
// fuse_simple_background both fill it in.
std::unique_ptr<FuseConn::Request> FuseConn::request_618(FuseInode& inode, FuseOpcode opcode, const FuseIn& in,
                                                         std::vector<std::uint8_t> payload) {
  auto req = std::make_unique<Request>();
  req->v618 = true;
  req->opcode = opcode;
  req->inode = &inode;
  req->in = in;
  req->pos = in.offset;
  req->data = std::move(payload);
  req->started = sim::now();
  return req;
}

int FuseConn::simple_request(FuseInode& inode, FuseOpcode opcode, const FuseIn& in, std::vector<std::uint8_t> payload,
                             Reply* reply) {
  sim::Completion done{"fuse.reply"};
  int error = 0;
  auto req = request_618(inode, opcode, in, std::move(payload));
  req->done = &done;
  req->error = &error;
  req->reply = reply;
  queue(std::move(req));
  sim::Scheduler::current().push_note("fuse_simple_request: waiting for the answer");
  done.wait();
  sim::Scheduler::current().pop_note();
  return error;
}

void FuseConn::simple_background(FuseInode& inode, FuseOpcode opcode, const FuseIn& in,
                                 std::vector<std::uint8_t> payload, std::function<void(int, const Reply&)> end) {
  auto req = request_618(inode, opcode, in, std::move(payload));
  req->end = std::move(end);
  // fuse_request_queue_background: counted until answered. Writeback's
  // WRITEs are `force` requests, queued past max_background.
  ++num_background_;
  queue(std::move(req));
}

void FuseConn::end_request_618(Request& req, int error, const Reply& reply) {
  trace_ev(Ev::fuse_end, req.unique, static_cast<std::uint64_t>(-error));
  if (req.end) {
    SIM_ASSERT_CMP(num_background_, >, 0u);
    --num_background_;
    if (req.opcode == FuseOpcode::write) {
      ++stats_.writes_answered;
      if (error == 0) stats_.bytes_written += req.data.size();
    }
    req.end(error, reply);
    return;
  }
  SIM_ASSERT(req.done != nullptr);
  *req.error = error;
  if (req.reply != nullptr) *req.reply = reply;
  req.done->complete();
}

}  // namespace wbsim::model
