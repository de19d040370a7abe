//! The 6.18 client's writeback (fs/fuse/file.c): fuse_writepages over
//! iomap_writepages, the dirty ranges gathered into WRITEs by
//! fuse_iomap_writeback_range (contiguous, up to max_pages and max_write),
//! sent through fi->queued_writes (held back while fuse_set_nowrite()
//! blocks writes), cropped at i_size when sent, and finished by
//! fuse_writepage_end; fuse_launder_folio for invalidation.
//!
//! Folios stay under writeback until the server answers (no temporary
//! pages since 6.16). The payload is gathered when the WRITE is queued;
//! the kernel hands the server the folios themselves, which holds the same
//! bytes as long as nothing writes into a folio under writeback.
#include <algorithm>
#include <climits>

#include "model/fuse/fuse.h"
#include "model/fuse/internal.h"
#include "model/iomap/buffered_io.h"
#include "model/mm/filemap.h"
#include "model/mm/page_writeback.h"
#include "sim/assert.h"
#include "sim/coverage.h"
#include "sim/scheduler.h"

namespace wbsim::model {

WBSIM_MARK_IN(kMarkFuseWbDiscontig, "fuse.writeback_discontiguity", "fsx/*",
              "writeback sent a WRITE at a gap between dirty ranges");
WBSIM_MARK_IN(kMarkFuseWbCropped, "fuse.writeback_cropped", "fsx/*", "a writeback WRITE was cropped at i_size");
WBSIM_MARK_IN(kMarkFuseLaunder, "fuse.launder_folio", "fsx/*", "invalidation wrote a dirty folio back on its own");

namespace {

constexpr int kFuseNowrite = INT_MIN;
constexpr std::uint32_t kFuseWriteCache = 1;

}  // namespace

// struct fuse_writepage_args: one WRITE of writeback.
struct FuseWritepageArgs {
  FuseInode* inode = nullptr;
  loff_t offset = 0;  // ia.write.in.offset
  struct Desc {
    Folio* folio = nullptr;
    std::uint64_t offset = 0;  // in the folio
    std::uint64_t length = 0;
  };
  std::vector<Desc> descs;
};

// struct fuse_fill_wb_data.
struct FuseFillWbData {
  std::unique_ptr<FuseWritepageArgs> wpa;
  FuseFile* ff = nullptr;
  std::uint64_t nr_bytes = 0;
};

FuseInode::FuseInode() = default;
FuseInode::~FuseInode() = default;

namespace {

void fuse_writepage_finish(FuseWritepageArgs& wpa) {
  FuseInode& fi = *wpa.inode;
  for (const auto& d : wpa.descs) iomap_finish_folio_write(fi, *d.folio, d.length);
  fi.in_flight_wq->wake_up();  // fi->page_waitq
}

void fuse_writepage_end(FuseWritepageArgs& wpa, int error) {
  FuseInode& fi = *wpa.inode;
  mapping_set_error(fi.mapping, error);
  // Without the writeback cache the server's mtime is the truth.
  if (!fi.fc->options().writeback_cache) fuse_invalidate_attr_mask(fi, kFuseStatxModify);
  --fi.writectr;
  fuse_writepage_finish(wpa);
}

// Called with fi->lock held in the kernel; here one fiber runs at a time.
void fuse_send_writepage(FuseConn& fc, std::unique_ptr<FuseWritepageArgs> wpa, loff_t size) {
  FuseInode& fi = *wpa->inode;
  std::uint64_t data_size = 0;
  for (const auto& d : wpa->descs) data_size += d.length;
  ++fi.writectr;
  std::uint64_t insize = data_size;
  if (wpa->offset + static_cast<loff_t>(data_size) > size) {
    if (wpa->offset >= size) {  // got truncated off completely
      --fi.writectr;
      fuse_writepage_finish(*wpa);
      return;
    }
    sim::mark(kMarkFuseWbCropped);
    insize = static_cast<std::uint64_t>(size - wpa->offset);
  }
  std::vector<std::uint8_t> payload;
  payload.reserve(insize);
  for (const auto& d : wpa->descs) {
    const std::uint64_t n = std::min<std::uint64_t>(d.length, insize - payload.size());
    payload.insert(payload.end(), d.folio->data.begin() + static_cast<long>(d.offset),
                   d.folio->data.begin() + static_cast<long>(d.offset + n));
    if (payload.size() == insize) break;
  }
  FuseIn in;
  in.nodeid = fi.nodeid;
  in.from_kernel = true;  // args->nocreds
  in.offset = wpa->offset;
  in.size = insize;
  in.write_flags = kFuseWriteCache;
  FuseWritepageArgs* raw = wpa.release();
  fc.simple_background(fi, FuseOpcode::write, in, std::move(payload), [raw](int error, const FuseConn::Reply&) {
    std::unique_ptr<FuseWritepageArgs> owned(raw);
    fuse_writepage_end(*owned, error);
  });
}

// fuse_flush_writepages: send the queued WRITEs unless writes are blocked.
void fuse_flush_writepages(FuseInode& fi) {
  const loff_t crop = fi.i_size;
  while (fi.writectr >= 0 && !fi.queued_writes.empty()) {
    auto wpa = std::move(fi.queued_writes.front());
    fi.queued_writes.pop_front();
    fuse_send_writepage(*fi.fc, std::move(wpa), crop);
  }
}

void fuse_writepages_send(FuseInode& fi, FuseFillWbData& data) {
  fi.queued_writes.push_back(std::move(data.wpa));
  fuse_flush_writepages(fi);
}

bool fuse_folios_need_send(const FuseConn& fc, std::uint64_t pos, std::uint64_t len, const FuseWritepageArgs& wpa,
                           std::uint64_t cur_bytes) {
  SIM_ASSERT(!wpa.descs.empty());
  const std::uint64_t bytes = cur_bytes + len;
  if ((bytes + kPageSize - 1) >> kPageShift > fc.options().max_pages) return true;  // reached max pages
  if (bytes > fc.options().max_write) return true;
  const auto& prev = wpa.descs.back();
  const auto prev_end = static_cast<std::uint64_t>(prev.folio->pos()) + prev.offset + prev.length;
  if (prev_end != pos) {
    sim::mark(kMarkFuseWbDiscontig);
    return true;
  }
  return false;
}

FuseFile* fuse_write_file_get(FuseInode& fi) {
  SIM_ASSERT(!fi.write_files.empty());  // the kernel WARNs and fails the writeback with -EIO
  return fi.write_files.front();
}

}  // namespace

std::int64_t fuse_iomap_writeback_range(IomapWritepageCtx& wpc, Folio& folio, std::uint64_t pos, std::uint64_t len,
                                        std::uint64_t end_pos) {
  (void)end_pos;
  FuseFillWbData& data = *wpc.data;
  FuseInode& fi = *wpc.inode;
  FuseConn& fc = *fi.fc;
  const std::uint64_t offset = pos - static_cast<std::uint64_t>(folio.pos());
  if (data.ff == nullptr) data.ff = fuse_write_file_get(fi);
  if (data.wpa != nullptr && fuse_folios_need_send(fc, pos, len, *data.wpa, data.nr_bytes)) {
    fuse_writepages_send(fi, data);
    data.nr_bytes = 0;
  }
  if (data.wpa == nullptr) {  // fuse_writepage_args_setup
    data.wpa = std::make_unique<FuseWritepageArgs>();
    data.wpa->inode = &fi;
    data.wpa->offset = folio.pos() + static_cast<loff_t>(offset);
  }
  data.wpa->descs.push_back({&folio, offset, len});
  iomap_start_folio_write(fi, folio, len);
  data.nr_bytes += len;
  return static_cast<std::int64_t>(len);
}

int fuse_iomap_writeback_submit(IomapWritepageCtx& wpc, int error) {
  FuseFillWbData& data = *wpc.data;
  if (data.wpa != nullptr) {
    SIM_ASSERT(!data.wpa->descs.empty());
    fuse_writepages_send(*wpc.inode, data);
  }
  return error;
}

int fuse_writepages(AddressSpace& mapping, WritebackControl& wbc) {
  FuseInode& fi = fuse_inode(mapping);
  FuseConn& fc = *fi.fc;
  if (!fc.connected()) return -5;  // fuse_is_bad
  if (wbc.sync_mode == SyncMode::none && fc.num_background() >= fc.options().congestion_threshold) return 0;
  FuseFillWbData data;
  IomapWritepageCtx wpc{.inode = &fi, .wbc = &wbc, .data = &data};
  return iomap_writepages(wpc);
}

int fuse_launder_folio(Folio& folio) {
  FuseInode& fi = fuse_inode(*folio.mapping);
  FuseFillWbData data;
  IomapWritepageCtx wpc{.inode = &fi, .wbc = nullptr, .data = &data};
  int err = 0;
  if (folio_clear_dirty_for_io(folio)) {
    sim::mark(kMarkFuseLaunder);
    err = iomap_writeback_folio(wpc, folio);
    err = fuse_iomap_writeback_submit(wpc, err);
    if (err == 0) folio_wait_writeback(folio);
  }
  return err;
}

void fuse_set_nowrite(FuseInode& fi) {
  SIM_ASSERT_CMP(fi.writectr, >=, 0);
  fi.writectr += kFuseNowrite;
  sim::Scheduler::current().push_note("fuse_set_nowrite: waiting for the WRITEs in flight");
  fi.in_flight_wq->wait_event([&] { return fi.writectr == kFuseNowrite; });
  sim::Scheduler::current().pop_note();
}

void fuse_release_nowrite(FuseInode& fi) {
  SIM_ASSERT_CMP(fi.writectr, ==, kFuseNowrite);
  fi.writectr = 0;
  fuse_flush_writepages(fi);
}

void fuse_sync_writes(FuseInode& fi) {
  fuse_set_nowrite(fi);
  fuse_release_nowrite(fi);
}

int write_inode_now(FuseInode& fi) {
  // writeback_single_inode(WB_SYNC_ALL) and its filemap_fdatawait; the
  // inode's times go to ->write_inode (time-only SETATTRs, left out).
  return filemap_write_and_wait_range(fi.mapping, 0, INT64_MAX);
}

}  // namespace wbsim::model
