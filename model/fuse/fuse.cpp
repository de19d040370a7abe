#include "model/fuse/fuse.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "model/mm/flusher.h"
#include "model/mm/page_writeback.h"
#include "model/mm/reclaim.h"
#include "sim/assert.h"
#include "sim/coverage.h"
#include "sim/scheduler.h"

namespace wbsim::model {

using sim::mark;

WBSIM_MARK_IN(kMarkFuseTempCopy, "fuse.temp_page_copy", "fuse/*", "writeback copied a folio to a temporary page");
WBSIM_MARK_IN(kMarkFuseWaitInFlight, "fuse.wait_in_flight_copy", "fuse/*", "a write waited for an in-flight temporary copy");
WBSIM_MARK_IN(kMarkFuseWaitWriteback, "fuse.write_waits_writeback", "fuse/*", "a write waited for a folio under writeback");

namespace {

FuseInode& fuse_inode(AddressSpace& mapping) { return *static_cast<FuseInode*>(mapping.host); }

void fuse_write_inode(AddressSpace& mapping) { fuse_inode(mapping).fc->write_inode(fuse_inode(mapping)); }

const AddressSpaceOps kFuseAops = {.writepages = fuse_writepages, .write_inode = fuse_write_inode};

}  // namespace

FuseConn::FuseConn(World& w, const FuseOptions& options) : w_(w), options_(options) {
  w.on_heal([this] { heal(); });
  w.sb_no_data_integrity = options.sb_no_data_integrity;
  SIM_ASSERT_CMP(options.server_threads, >=, 1u);
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
  fi.fc = this;
  fi.mapping.mm = &w_.mm();
  fi.mapping.host = &fi;
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

void FuseConn::write(FuseInode& inode, loff_t pos, const std::vector<std::uint8_t>& data) {
  sim::WriteGuard lock(*inode.i_rwsem);
  std::uint64_t done = 0;
  while (done < data.size()) {
    const loff_t at = pos + static_cast<loff_t>(done);
    const pgoff_t index = static_cast<pgoff_t>(at) >> kPageShift;
    Folio* folio = filemap_get_folio(inode.mapping, index);
    if (folio == nullptr) {
      folio = filemap_alloc_and_add_folio(inode.mapping, index, 0);
      // A partial write needs the rest of the page: read it from the server
      // (fuse_do_readpage), after any copy of it still in flight lands.
      if (options_.temp_pages && inode.writeback_in_flight.count(index) != 0) {
        folio_unlock(*folio);
        inode.in_flight_wq->wait_event([&] { return inode.writeback_in_flight.count(index) == 0; });
        folio_lock(*folio);
      }
      const auto& store = inode.server_data;
      const std::size_t from = static_cast<std::size_t>(folio->pos());
      if (from < store.size()) {
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
    std::memcpy(folio->data.data() + offset, data.data() + done, part);
    folio_mark_dirty(*folio);
    folio_unlock(*folio);
    folio_put(*folio);
    done += part;
    inode.i_size = std::max(inode.i_size, at + static_cast<loff_t>(part));
    balance_dirty_pages_ratelimited(inode.mapping);
  }
}

int FuseConn::fsync(FuseInode& inode) {
  const int err = filemap_write_and_wait_range(inode.mapping, 0, INT64_MAX);
  if (options_.temp_pages) inode.in_flight_wq->wait_event([&] { return inode.writeback_in_flight.empty(); });
  return err;
}

void FuseConn::write_inode(FuseInode& inode) {
  sim::Completion done{"fuse.setattr_reply"};
  auto req = std::make_unique<Request>();
  req->inode = &inode;
  req->setattr_done = &done;
  queue(std::move(req));
  sim::Scheduler::current().push_note("fuse_write_inode: synchronous SETATTR");
  done.wait();
  sim::Scheduler::current().pop_note();
}

void FuseConn::heal() {
  dropping_ = false;
  frozen_ = false;
  for (auto& req : dropped_) pending_.push_back(std::move(req));
  dropped_.clear();
  queue_wq_.wake_up();
}

void FuseConn::stop() {
  for (auto& t : threads_) t->stop();
}

void FuseConn::queue(std::unique_ptr<Request> req) {
  ++stats_.requests;
  pending_.push_back(std::move(req));
  queue_wq_.wake_up();
}

void FuseConn::serve(sim::Kthread& self) {
  for (;;) {
    queue_wq_.wait_event_idle([&] { return (!pending_.empty() && !frozen_) || self.should_stop(); });
    if (self.should_stop()) return;
    std::unique_ptr<Request> req = std::move(pending_.front());
    pending_.pop_front();
    if (req->setattr_done != nullptr) {
      req->setattr_done->complete();
      continue;
    }
    if (dropping_) {
      dropped_.push_back(std::move(req));  // taken, never answered
      continue;
    }
    // The handler's own memory: buffers, its backing file's page cache.
    sim::Scheduler& sched = sim::Scheduler::current();
    sched.push_note("the FUSE server's WRITE handler");
    alloc_pages(w_.mm(), options_.handler_alloc_pages, GFP_KERNEL);
    sched.pop_note();
    sim::sleep(options_.handler_time);
    auto& store = req->inode->server_data;
    const auto end = static_cast<std::size_t>(req->pos) + req->data.size();
    if (store.size() < end) store.resize(end, 0);
    std::copy(req->data.begin(), req->data.end(), store.begin() + req->pos);
    free_pages(w_.mm(), options_.handler_alloc_pages);
    reply(*req);
  }
}

void FuseConn::reply(Request& req) {
  if (req.folio != nullptr) {
    stats_.writeback_time += sim::now() - req.started;
    folio_end_writeback(*req.folio);
    folio_put(*req.folio);
  } else {
    req.inode->writeback_in_flight.erase(req.temp_index);
    free_pages(w_.mm(), 1);  // the temporary page
    req.inode->in_flight_wq->wake_up();
  }
}

int fuse_writepages(AddressSpace& mapping, WritebackControl& wbc) {
  FuseInode& inode = fuse_inode(mapping);
  FuseConn& fc = *inode.fc;
  int error = 0;
  Folio* folio = nullptr;
  while ((folio = writeback_iter(mapping, wbc, folio, &error)) != nullptr) {
    const loff_t pos = folio->pos();
    const std::uint64_t len =
        std::min<std::uint64_t>(folio->size(), static_cast<std::uint64_t>(std::max<loff_t>(inode.i_size - pos, 0)));
    auto req = std::make_unique<FuseConn::Request>();
    req->inode = &inode;
    req->pos = pos;
    req->data.assign(folio->data.begin(), folio->data.begin() + static_cast<long>(len));
    req->started = sim::now();
    folio_start_writeback(*folio);
    if (fc.options().temp_pages) {
      // fuse_writepage_args_page_fill: copy to a temporary page, end
      // writeback on the original now, track the copy until the reply.
      mark(kMarkFuseTempCopy);
      alloc_pages(fc.world().mm(), 1, GFP_NOFS);
      ++fc.stats_.temp_copies;
      req->folio = nullptr;
      req->temp_index = folio->index;
      inode.writeback_in_flight.insert(folio->index);
      folio_unlock(*folio);
      folio_end_writeback(*folio);
    } else {
      // Writeback stays on the folio until the server replies; with one
      // server thread, that thread alone can end it.
      req->folio = folio;
      folio_get(*folio);
      if (fc.options().server_threads == 1) folio->wb_owner = fc.threads_.front()->fiber();
      folio_unlock(*folio);
    }
    fc.queue(std::move(req));
  }
  return error;
}

}  // namespace wbsim::model
