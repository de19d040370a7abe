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

namespace wbsim::model {

using sim::mark;

WBSIM_MARK_IN(kMarkFuseTempCopy, "fuse.temp_page_copy", "fuse/*", "writeback copied a folio to a temporary page");
WBSIM_MARK_IN(kMarkFuseWaitInFlight, "fuse.wait_in_flight_copy", "fuse/*", "a write waited for an in-flight temporary copy");
WBSIM_MARK_IN(kMarkFuseWaitWriteback, "fuse.write_waits_writeback", "fuse/*", "a write waited for a folio under writeback");
WBSIM_MARK_IN(kMarkFuseLostInCrash, "fuse.request_lost_in_crash", "fuse/crash_restart",
              "the server died holding requests it had read");
WBSIM_MARK_IN(kMarkFuseResend, "fuse.notify_resend", "fuse/crash_restart", "FUSE_NOTIFY_RESEND requeued lost requests");
WBSIM_MARK_IN(kMarkFuseAborted, "fuse.request_aborted", "fuse/*", "a request ended with the connection's abort");

WBSIM_FAULT_SITE(kFuseServerStall, "fuse.server_stall",
                 "a FUSE server thread stalls on its backing store before answering a request");

namespace {

constexpr int kENOTCONN = -107;
constexpr int kECONNABORTED = -103;

FuseInode& fuse_inode(AddressSpace& mapping) { return *static_cast<FuseInode*>(mapping.host); }

void fuse_write_inode(AddressSpace& mapping) { fuse_inode(mapping).fc->write_inode(fuse_inode(mapping)); }

const AddressSpaceOps kFuseAops = {.writepages = fuse_writepages, .write_inode = fuse_write_inode};

}  // namespace

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

FuseInode& FuseConn::create_file() {
  auto inode = std::make_unique<FuseInode>();
  FuseInode& fi = *inode;
  fi.nodeid = static_cast<std::uint32_t>(files_.size() + 1);
  fi.ino = w_.next_ino();
  fi.fc = this;
  fi.mapping.mm = &w_.mm();
  fi.mapping.host = &fi;
  fi.mapping.host_kind = AddressSpace::HostKind::fuse;
  fi.mapping.a_ops = &kFuseAops;
  // 0c58a97f919c sets the flag on every FUSE mapping along with dropping
  // the temporary pages.
  fi.mapping.writeback_may_deadlock_on_reclaim = !options_.temp_pages && options_.flag_mapping;
  fi.mapping.no_data_integrity = options_.flag_no_data_integrity;
  fi.i_rwsem = std::make_unique<sim::RwSem>(fmt::format("fuse.i_rwsem.{}", fi.nodeid));
  fi.in_flight_wq = std::make_unique<sim::WaitQueue>(fmt::format("fuse.in_flight.{}", fi.nodeid));
  w_.mm().reclaimable.push_back(&fi.mapping);
  if (w_.flusher() != nullptr) w_.flusher()->register_mapping(fi.mapping);
  files_.push_back(std::move(inode));
  return fi;
}

int FuseConn::write(FuseInode& inode, loff_t pos, const std::vector<std::uint8_t>& data) {
  sim::WriteGuard lock(*inode.i_rwsem);
  cpu_work(options_.write_call_ns);
  std::uint64_t done = 0;
  while (done < data.size()) {
    const loff_t at = pos + static_cast<loff_t>(done);
    const pgoff_t index = static_cast<pgoff_t>(at) >> kPageShift;
    Folio* folio = filemap_get_folio(inode.mapping, index);
    if (folio == nullptr) {
      // grab_cache_page_write_begin allocates with the mapping's GFP
      // (__GFP_FS included): below the low watermark the writer reclaims
      // first, i_rwsem held. The page itself is charged when it joins the
      // cache.
      sim::Scheduler::current().push_note("fuse_write_begin: page cache allocation");
      if (alloc_pages(w_.mm(), 1, GFP_KERNEL)) free_pages(w_.mm(), 1);
      sim::Scheduler::current().pop_note();
      folio = filemap_get_folio(inode.mapping, index);
      if (folio != nullptr) continue;  // another task added it while we reclaimed
      folio = filemap_alloc_and_add_folio(inode.mapping, index, 0);
      // A partial write needs the rest of the page: read it from the server
      // (fuse_do_readpage), after any copy of it still in flight lands.
      if (options_.temp_pages && inode.writeback_in_flight.count(index) != 0) {
        folio_unlock(*folio);
        inode.in_flight_wq->wait_event([&] { return inode.writeback_in_flight.count(index) == 0; });
        folio_lock(*folio);
      }
      const std::uint64_t offset = static_cast<std::uint64_t>(at - folio->pos());
      const bool whole = offset == 0 && data.size() - done >= folio->size();
      if (!whole && !connected_) {
        // The read fails; the new folio goes (filemap_remove_folio under
        // its lock, as a failed read_folio leaves it to be dropped).
        filemap_remove_folio(*folio);
        folio_unlock(*folio);
        folio_put(*folio);
        return kENOTCONN;
      }
      const auto& store = inode.server_data;
      const std::size_t from = static_cast<std::size_t>(folio->pos());
      if (!whole && from < store.size()) {
        const std::size_t n = std::min<std::size_t>(folio->size(), store.size() - from);
        std::copy(store.begin() + static_cast<long>(from), store.begin() + static_cast<long>(from + n),
                  folio->data.begin());
      }
      folio_mark_uptodate(*folio);
    } else {
      folio_get(*folio);
      folio_lock(*folio);
      if (folio->mapping != &inode.mapping) {  // reclaimed while we slept
        folio_unlock(*folio);
        folio_put(*folio);
        continue;
      }
    }
    // A write must not modify data the server is still being sent
    // (fuse_wait_on_page_writeback / folio_wait_writeback in write_begin).
    if (options_.temp_pages && inode.writeback_in_flight.count(folio->index) != 0) {
      mark(kMarkFuseWaitInFlight);
      folio_unlock(*folio);
      inode.in_flight_wq->wait_event([&] { return inode.writeback_in_flight.count(folio->index) == 0; });
      folio_put(*folio);
      continue;
    }
    if (folio_test_writeback(*folio)) {
      mark(kMarkFuseWaitWriteback);
      folio_unlock(*folio);
      folio_wait_writeback(*folio);
      folio_put(*folio);
      continue;
    }
    const std::uint64_t offset = static_cast<std::uint64_t>(at - folio->pos());
    const std::uint64_t part = std::min(folio->size() - offset, data.size() - done);
    cpu_work(options_.write_ns_per_page);  // copy_folio_from_iter, folio locked
    std::memcpy(folio->data.data() + offset, data.data() + done, part);
    MODEL_EVENT(fuse_data_stored(inode, at, std::span<const std::uint8_t>(data.data() + done, part)));
    // i_size moves before the folio is unlocked (generic_write_end), so
    // writeback never sees the new bytes past a stale size.
    inode.i_size = std::max(inode.i_size, at + static_cast<loff_t>(part));
    folio_mark_dirty(*folio);
    folio_unlock(*folio);
    folio_put(*folio);
    done += part;
    balance_dirty_pages_ratelimited(inode.mapping);
  }
  return 0;
}

int FuseConn::fsync(FuseInode& inode, bool datasync) {
  MODEL_EVENT(fuse_fsync_begin(inode));
  int err = filemap_write_and_wait_range(inode.mapping, 0, INT64_MAX);
  // fuse_sync_writes: the copies still in flight are part of the file.
  if (options_.temp_pages && options_.fsync_waits_in_flight) {
    inode.in_flight_wq->wait_event([&] { return inode.writeback_in_flight.empty(); });
    if (err == 0) err = filemap_check_errors(inode.mapping);
  }
  // fdatasync skips the metadata (sync_inode_metadata); both send FUSE_FSYNC
  // with the datasync flag.
  if (!datasync && err == 0) write_inode(inode);
  if (err == 0) err = send_sync(inode, FuseOpcode::fsync, "fuse_fsync: FUSE_FSYNC");
  MODEL_EVENT(fuse_fsync_returned(inode, err));
  return err;
}

int FuseConn::sync_file_range(FuseInode& inode, loff_t offset, loff_t nbytes, unsigned flags) {
  return model::sync_file_range(inode.mapping, offset, nbytes, flags);
}

void FuseConn::write_inode(FuseInode& inode) { send_sync(inode, FuseOpcode::setattr, "fuse_write_inode: synchronous SETATTR"); }

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
  for (auto& inode : files_) fsync(*inode);
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
      const bool got = alloc_pages(w_.mm(), options_.handler_alloc_pages, GFP_KERNEL);
      sched.pop_note();
      cpu_work(options_.handler_time + options_.handler_ns_per_kib * static_cast<sim::Time>(req->data.size() / 1024));
      if (got) free_pages(w_.mm(), options_.handler_alloc_pages);
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

int fuse_writepages(AddressSpace& mapping, WritebackControl& wbc) {
  FuseInode& inode = fuse_inode(mapping);
  FuseConn& fc = *inode.fc;
  int error = 0;
  // fuse_writepages_fill: contiguous folios gather into one WRITE of up to
  // max_pages; a gap, a full request, or the end of the file sends it.
  std::unique_ptr<FuseConn::Request> req;
  pgoff_t next_index = 0;
  unsigned pages = 0;
  auto send = [&] {
    if (req != nullptr) fc.queue(std::move(req));
    req = nullptr;
    pages = 0;
  };
  Folio* folio = nullptr;
  while ((folio = writeback_iter(mapping, wbc, folio, &error)) != nullptr) {
    const loff_t pos = folio->pos();
    const std::uint64_t len =
        std::min<std::uint64_t>(folio->size(), static_cast<std::uint64_t>(std::max<loff_t>(inode.i_size - pos, 0)));
    if (req != nullptr && (folio->index != next_index || pages + folio->nr_pages() > fc.options().max_pages)) send();
    if (req == nullptr) {
      req = std::make_unique<FuseConn::Request>();
      req->inode = &inode;
      req->pos = pos;
      req->started = sim::now();
    }
    req->data.insert(req->data.end(), folio->data.begin(), folio->data.begin() + static_cast<long>(len));
    next_index = folio->index + folio->nr_pages();
    pages += static_cast<unsigned>(folio->nr_pages());
    const sim::Time wb_started = sim::now();
    folio_start_writeback(*folio);
    if (fc.options().temp_pages) {
      // fuse_writepage_args_page_fill: copy to a temporary page, end
      // writeback on the original now, track the copy until the reply.
      mark(kMarkFuseTempCopy);
      const bool got = alloc_pages(fc.world().mm(), 1, GFP_NOFS);
      SIM_ASSERT(got);  // GFP_NOFS without __GFP_NORETRY does not fail
      fc.cpu_work(fc.options().temp_copy_ns_per_page);
      ++fc.stats_.temp_copies;
      req->temp_indices.push_back(folio->index);
      inode.writeback_in_flight.insert(folio->index);
      ++fc.world().mm().nr_writeback;  // the copy is accounted as writeback until the reply (inc_wb_stat)
      fc.stats_.writeback_time += sim::now() - wb_started;  // the original's writeback ends now
      folio_unlock(*folio);
      folio_end_writeback(*folio);
    } else {
      // Writeback stays on the folio until the server replies; with one
      // server thread, that thread alone can end it.
      req->folios.push_back(folio);
      folio_get(*folio);
      if (fc.options().server_threads == 1) folio->wb_owner = fc.threads_.front()->fiber();
      folio_unlock(*folio);
    }
    if (len < folio->size()) send();  // the end of the file
  }
  send();
  return error;
}

}  // namespace wbsim::model
