#include "model/world.h"

#include <fmt/format.h>

#include "model/events.h"
#include "model/netfs/internal.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/scheduler.h"

namespace wbsim::model {

namespace {
const AddressSpaceOps kNetfsAops = {
    .writepages = netfs_writepages, .release_folio = netfs_release_folio, .invalidate_folio = netfs_invalidate_folio};
}

World::World(const WorldOptions& options)
    : unbound_wq_(std::make_unique<sim::Workqueue>("system_unbound_wq", options.collector_workers)),
      crypto_wq_(std::make_unique<sim::Workqueue>("netfs_crypto", 1)),
      server_(options.server),
      cache_(options.cache_granularity) {
  register_trace_reasons();
  netfs_folio_infos_at_start_ = netfs_folio_infos_unfreed();
  mm_.dirty_thresh = options.dirty_thresh_pages;
  // domain_dirty_limits(): "if (bg_thresh >= thresh) bg_thresh = thresh / 2",
  // so balance_dirty_pages' freerun point lies below the dirty limit.
  mm_.background_thresh = options.background_thresh_pages < options.dirty_thresh_pages
                              ? options.background_thresh_pages
                              : options.dirty_thresh_pages / 2;
  if (options.flusher) flusher_ = std::make_unique<Flusher>(mm_, options.writeback_chunk_pages);
  unsigned mempool_min_nr = options.mempool_min_nr;
  bool kswapd = options.kswapd;
  if (options.free_pages >= 0) {
    mm_.free_pages = options.free_pages;
    mm_.min_pages = options.min_pages;
    mm_.low_pages = options.low_pages;
  } else if (t_memory_pressure != nullptr) {
    const MemoryPressure& p = *t_memory_pressure;
    mm_.free_pages = static_cast<std::int64_t>(options.dirty_thresh_pages) + p.extra_pages;
    mm_.min_pages = p.min_pages;
    mm_.low_pages = p.low_pages;
    mempool_min_nr = p.mempool_min_nr;
    kswapd = true;
  }
  request_pool_ = std::make_unique<Mempool>(mm_, "netfs_request_pool", mempool_min_nr);
  subrequest_pool_ = std::make_unique<Mempool>(mm_, "netfs_subrequest_pool", mempool_min_nr);
  if (kswapd) {
    kswapd_ = std::make_unique<Kswapd>(mm_);
    kcompactd_ = std::make_unique<Kcompactd>(mm_);
  }
  MODEL_EVENT(world_created(*this));
}

World::~World() {
  MODEL_EVENT(world_destroyed(*this));
  // Folios hold streaming records allocated by the write path.
  for (auto& f : mm_.arena) {
    if (f->priv.kind == FolioPrivate::Kind::streaming) delete f->priv.finfo;
  }
  netfs_release_freed_folio_infos();
}

NetfsInode& World::create_file(const FileOptions& options) {
  auto inode = std::make_unique<NetfsInode>();
  NetfsInode& ictx = *inode;
  const auto id = static_cast<std::uint32_t>(files_.size());
  ictx.ino = id;
  ictx.mapping.mm = &mm_;
  ictx.mapping.host = &ictx;
  ictx.mapping.a_ops = &kNetfsAops;
  ictx.mapping.release_always = true;  // netfs_inode_init(): ->release_folio drives zero_point
  ictx.wb_lock = std::make_unique<sim::Mutex>(fmt::format("wb_lock.{}", id));
  ictx.i_rwsem = std::make_unique<sim::RwSem>(fmt::format("i_rwsem.{}", id));
  ictx.mapping.invalidate_lock = std::make_unique<sim::RwSem>(fmt::format("invalidate_lock.{}", id));
  ictx.i_dio_wq = std::make_unique<sim::WaitQueue>(fmt::format("i_dio_wq.{}", id));
  ictx.ops = options.prepare_write ? &kRfsRequestOps : &kRfsRequestOpsNoPrepare;
  ictx.cache_ops = &kRfsCacheOps;
  ictx.cache_enabled = options.cache;
  ictx.cache_is_caching = options.cache;
  ictx.writeback_groups = options.writeback_groups;
  ictx.collector_wq = unbound_wq_.get();
  ictx.request_pool = request_pool_.get();
  ictx.subrequest_pool = subrequest_pool_.get();
  mm_.reclaimable.push_back(&ictx.mapping);
  ictx.content_crypto = options.content_crypto;
  ictx.unbuffered = options.unbuffered;
  if (options.large_folios) ictx.mapping.max_folio_order = kMaxPagecacheOrder;
  ictx.crypto_ns_per_page = options.crypto_ns_per_page;
  ictx.crypto_wq = crypto_wq_.get();
  auto rfs = std::make_unique<RfsInode>();
  rfs->server = &server_;
  rfs->cache = &cache_;
  rfs->file_id = id;
  rfs->use_credits = options.use_credits && options.prepare_write;
  SIM_ASSERT(options.writers >= 1);
  rfs->wb_keys.clear();
  for (std::uint32_t key = 1; key <= options.writers; ++key) rfs->wb_keys.push_back(key);
  rfs->fmode_nowait = options.fmode_nowait;
  ictx.fs_private = rfs.get();
  server_.file(id).acl = rfs->wb_keys;
  if (flusher_) flusher_->register_mapping(ictx.mapping);
  rfs_.push_back(std::move(rfs));
  files_.push_back(std::move(inode));
  return ictx;
}

NetfsFile World::open(NetfsInode& inode, unsigned f_mode, unsigned iocb_flags) {
  NetfsFile f;
  f.inode = &inode;
  f.f_mode = f_mode;
  if (rfs_inode(inode).fmode_nowait) f.f_mode |= FMODE_NOWAIT;  // the filesystem's ->open
  f.f_iocb_flags = iocb_flags;
  f.f_wb_err = filemap_sample_wb_err(inode.mapping);
  return f;
}

void World::preload(NetfsInode& inode, const std::vector<std::uint8_t>& data) {
  server_.file(inode.ino).data = data;
  inode.i_size = inode.remote_i_size = inode.zero_point = static_cast<loff_t>(data.size());
  MODEL_EVENT(file_preloaded(inode, data));
}

void World::heal() {
  sim::Scheduler::current().faults().heal();
  server_.heal();
  cache_.heal();
  for (auto& fn : heal_hooks_) fn();
}

void World::shutdown() {
  if (kcompactd_) kcompactd_->stop();
  if (kswapd_) kswapd_->stop();
  if (flusher_) flusher_->stop();
}

}  // namespace wbsim::model
