// The local filesystem of model/dio: files on a block device, writeback
// (->writepages as block_write_full_folio does it, one bio per folio), fsync,
// and the World's heal and drain hooks.
#include <climits>

#include "model/dio/local.h"
#include "model/dio/local_internal.h"
#include "model/events.h"
#include "model/mm/page_writeback.h"
#include "model/world.h"
#include "sim/assert.h"

namespace wbsim::model {

namespace {
const AddressSpaceOps kLocalAops{.writepages = local_writepages};
}  // namespace

const char* dio_policy_name(DioPolicy p) {
  switch (p) {
    case DioPolicy::netfs: return "netfs";
    case DioPolicy::pagecache_add_lock: return "pagecache-add-lock";
    case DioPolicy::lock_entries: return "lock-entries";
    case DioPolicy::dio_via_pagecache: return "dio-via-pagecache";
  }
  return "?";
}

std::optional<DioPolicy> parse_dio_policy(std::string_view name) {
  for (DioPolicy p : kDioPolicies) {
    if (name == dio_policy_name(p)) return p;
  }
  return std::nullopt;
}

const char* local_op_name(LocalOp op) {
  switch (op) {
    case LocalOp::buffered_read: return "buffered read";
    case LocalOp::buffered_write: return "buffered write";
    case LocalOp::dio_read: return "DIO read";
    case LocalOp::dio_write: return "DIO write";
    case LocalOp::mmap_read: return "mmap load";
    case LocalOp::mmap_write: return "mmap store";
    case LocalOp::truncate: return "truncate";
    case LocalOp::fallocate: return "fallocate";
    case LocalOp::fsync: return "fsync";
  }
  return "?";
}

LocalFs::LocalFs(World& w, const LocalFsOptions& options) : w_(w), options_(options), dev_(options.dev) {
  dio_wq_ = std::make_unique<sim::Workqueue>("dio/complete", 4);
  w.on_heal([this] { dev_.heal(); });
  w.on_drain([this] { drain(); });
}

LocalFs::~LocalFs() = default;

LocalInode& LocalFs::create_file(std::span<const std::uint8_t> contents, DioPolicy policy) {
  auto owned = std::make_unique<LocalInode>();
  LocalInode& inode = *owned;
  inode.fs = this;
  inode.policy = t_dio_policy != nullptr ? *t_dio_policy : policy;
  inode.disk.assign(contents.begin(), contents.end());
  NetfsInode& vfs = inode.vfs;
  vfs.ino = w_.next_ino();
  vfs.i_size = static_cast<loff_t>(contents.size());
  vfs.mapping.mm = &w_.mm();
  vfs.mapping.host = &inode;
  vfs.mapping.host_kind = AddressSpace::HostKind::local;
  vfs.mapping.a_ops = &kLocalAops;
  vfs.i_rwsem = std::make_unique<sim::RwSem>(fmt::format("local.i_rwsem.{}", vfs.ino));
  vfs.i_dio_wq = std::make_unique<sim::WaitQueue>(fmt::format("local.i_dio.{}", vfs.ino));
  inode.invalidate_lock = std::make_unique<sim::RwSem>(fmt::format("local.invalidate_lock.{}", vfs.ino));
  inode.pagecache_lock_wq = std::make_unique<sim::WaitQueue>(fmt::format("local.pagecache_lock.{}", vfs.ino));
  inode.lock_entries_wq = std::make_unique<sim::WaitQueue>(fmt::format("local.lock_entries.{}", vfs.ino));
  w_.mm().reclaimable.push_back(&vfs.mapping);
  if (w_.flusher() != nullptr) w_.flusher()->register_mapping(vfs.mapping);
  files_.push_back(std::move(owned));
  MODEL_EVENT(local_file_created(inode));
  return inode;
}

void LocalFs::drain() {
  for (const auto& inode : files_) {
    LocalFile f{inode.get()};
    local_fsync(f);
  }
}

LocalInode& local_inode(AddressSpace& mapping) {
  SIM_ASSERT(mapping.host_kind == AddressSpace::HostKind::local);
  return *static_cast<LocalInode*>(mapping.host);
}

int local_writepages(AddressSpace& mapping, WritebackControl& wbc) {
  LocalInode& inode = local_inode(mapping);
  int error = 0;
  Folio* folio = nullptr;
  while ((folio = writeback_iter(mapping, wbc, folio, &error)) != nullptr) {
    // folio_clear_dirty_for_io -> folio_mkclean: the next store faults.
    inode.writable_ptes.erase(folio->id);
    const loff_t size = inode.vfs.i_size;
    if (folio->pos() >= size) {
      // Wholly past EOF (truncate is about to drop it): nothing to write.
      // The model ends an empty writeback on it where iomap just unlocks
      // it, so the folio-state checker's W2 (handed back written or
      // redirtied) holds as it does for netfs (docs/model.md).
      folio_start_writeback(*folio);
      folio_unlock(*folio);
      folio_end_writeback(*folio);
      continue;
    }
    const std::uint64_t len = std::min<std::uint64_t>(folio->size(), static_cast<std::uint64_t>(size - folio->pos()));
    folio_start_writeback(*folio);
    std::vector<std::uint8_t> bytes(folio->data.begin(), folio->data.begin() + static_cast<long>(len));
    folio_get(*folio);
    folio_unlock(*folio);
    Folio* f = folio;
    inode.fs->dev().submit_write(inode.disk, f->pos(), std::move(bytes), /*may_fail=*/false, [f](int) {
      folio_end_writeback(*f);
      folio_put(*f);
    });
  }
  return error;
}

int local_fsync(LocalFile& f) {
  LocalInode& inode = *f.inode;
  MODEL_EVENT(local_op_begin(inode, LocalOp::fsync, 0, 0));
  const int ret = filemap_write_and_wait_range(inode.vfs.mapping, 0, LLONG_MAX);
  MODEL_EVENT(local_op_end(inode, LocalOp::fsync, 0, 0, ret));
  return ret;
}

}  // namespace wbsim::model
