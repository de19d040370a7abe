//! The seed series' two writeback designs (fs/fuse/file.c as that series
//! left it, reduced): buffered writes into the page cache, fsync, and
//! writeback with temporary pages or with writeback held until the reply.
//! The 6.18 client is in file_write.cpp, file_writeback.cpp and
//! file_ops.cpp.
#include "model/fuse/fuse.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "model/events.h"
#include "model/mm/flusher.h"
#include "model/mm/migrate.h"
#include "model/mm/page_writeback.h"
#include "model/mm/reclaim.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/coverage.h"
#include "sim/fault.h"
#include "sim/scheduler.h"
#include "model/fuse/internal.h"
#include "model/iomap/buffered_io.h"

namespace wbsim::model {

using sim::mark;

WBSIM_MARK_IN(kMarkFuseTempCopy, "fuse.temp_page_copy", "fuse/*", "writeback copied a folio to a temporary page");
WBSIM_MARK_IN(kMarkFuseWaitInFlight, "fuse.wait_in_flight_copy", "fuse/*", "a write waited for an in-flight temporary copy");
WBSIM_MARK_IN(kMarkFuseWaitWriteback, "fuse.write_waits_writeback", "fuse/*", "a write waited for a folio under writeback");

namespace {

void fuse_write_inode_seed(AddressSpace& mapping) { fuse_inode(mapping).fc->write_inode(fuse_inode(mapping)); }

const AddressSpaceOps kFuseAops = {.writepages = fuse_writepages_seed, .write_inode = fuse_write_inode_seed};

// ->migrate_folio is filemap_migrate_folio; the model keeps iomap's folio
// state beside folio->private (model/iomap/buffered_io.h), so it moves too.
int fuse_migrate_folio(AddressSpace& mapping, Folio& dst, Folio& src) {
  const int err = filemap_migrate_folio(mapping, dst, src);
  if (err == 0) iomap_migrate_folio_state(fuse_inode(mapping), dst, src);
  return err;
}

// fuse_file_aops of 6.18: ->write_inode sends only times (left out here).
const AddressSpaceOps kFuseAops618 = {.writepages = fuse_writepages,
                                      .release_folio = iomap_release_folio,
                                      .launder_folio = fuse_launder_folio,
                                      .invalidate_folio = iomap_invalidate_folio,
                                      .migrate_folio = fuse_migrate_folio};

}  // namespace

FuseInode& FuseConn::create_file() {
  auto inode = std::make_unique<FuseInode>();
  FuseInode& fi = *inode;
  fi.nodeid = static_cast<std::uint32_t>(files_.size() + 1);
  fi.ino = w_.next_ino();
  fi.fc = this;
  fi.mapping.mm = &w_.mm();
  fi.mapping.host = &fi;
  fi.mapping.host_kind = AddressSpace::HostKind::fuse;
  if (options_.client == FuseClient::v6_18) {
    // fuse_init_file_inode: both flags only with the writeback cache.
    fi.mapping.a_ops = &kFuseAops618;
    // The block state iomap keeps in folio->private lives beside the folio
    // in the model (model/iomap/buffered_io.h), so no folio carries
    // PG_private. The flag makes truncate's folio_needs_release() true for
    // every folio, so ->invalidate_folio frees the state as it would for a
    // folio with state (the model's filemap_release_folio asks
    // ->release_folio whatever the flag).
    fi.mapping.release_always = true;
    fi.mapping.writeback_may_deadlock_on_reclaim = options_.writeback_cache;
    fi.mapping.no_data_integrity = options_.writeback_cache;
  } else {
    fi.mapping.a_ops = &kFuseAops;
    // 0c58a97f919c sets the flag on every FUSE mapping along with dropping
    // the temporary pages.
    fi.mapping.writeback_may_deadlock_on_reclaim = !options_.temp_pages && options_.flag_mapping;
    fi.mapping.no_data_integrity = options_.flag_no_data_integrity;
  }
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
      alloc_pages_for_reclaim(w_.mm(), 1, GFP_KERNEL);
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


int fuse_writepages_seed(AddressSpace& mapping, WritebackControl& wbc) {
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