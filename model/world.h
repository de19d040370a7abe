//! The simulated machine a scenario runs against: memory accounting and the
//! flusher, the collector workqueue (system_unbound_wq), a remote server, a
//! local cache, and netfs files on them. One World per run; it must be
//! created inside the run's simulation (its kthreads and queues are fibers
//! and wait objects of that simulation).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "model/backend/cache.h"
#include "model/backend/rfs.h"
#include "model/backend/server.h"
#include "model/mm/compaction.h"
#include "model/mm/flusher.h"
#include "model/mm/kswapd.h"
#include "model/mm/mempool.h"
#include "model/netfs/netfs.h"
#include "sim/workqueue.h"

namespace wbsim::model {

struct WorldOptions {
  RemoteServer::Options server;
  std::uint64_t cache_granularity = kPageSize;
  std::uint64_t background_thresh_pages = 256;
  std::uint64_t dirty_thresh_pages = 512;
  unsigned collector_workers = 4;
  bool flusher = true;
  long writeback_chunk_pages = Flusher::kChunkPages;
  // The page budget (model/mm/reclaim.h); unlimited unless free_pages >= 0.
  std::int64_t free_pages = -1;
  std::int64_t min_pages = 0;
  std::int64_t low_pages = 0;
  bool kswapd = false;              // kswapd0 and kcompactd0 run
  unsigned mempool_min_nr = 100;    // netfs_request_pool / netfs_subrequest_pool reserve
};

// A memory-pressure profile the scenario runner may impose on every World of
// a run (the mm/pressure/* variants of the netfs scenarios): a page budget
// just above the dirty limit, so reclaim and compaction run while writeback
// is in flight; mempools keep the kernel's reserve (a reserve smaller than
// what one request holds lets the issuer and the retry wait on each other;
// docs/model.md).
struct MemoryPressure {
  std::int64_t extra_pages = 12;  // free pages beyond dirty_thresh_pages
  std::int64_t min_pages = 8;
  std::int64_t low_pages = 16;
  unsigned mempool_min_nr = 100;
};
inline thread_local const MemoryPressure* t_memory_pressure = nullptr;
class MemoryPressureScope {
 public:
  explicit MemoryPressureScope(const MemoryPressure* p) : saved_(t_memory_pressure) { t_memory_pressure = p; }
  ~MemoryPressureScope() { t_memory_pressure = saved_; }
  MemoryPressureScope(const MemoryPressureScope&) = delete;
  MemoryPressureScope& operator=(const MemoryPressureScope&) = delete;

 private:
  const MemoryPressure* saved_;
};

struct FileOptions {
  bool cache = false;         // the inode has a local cache
  bool use_credits = true;    // cifs-like send credits in ->prepare_write
  bool prepare_write = true;  // false: no ->prepare_write (afs/9p-like; no credits either)
  bool writeback_groups = false;
  bool content_crypto = false;  // the seed's asynchronous crypto stage
  bool unbuffered = false;      // NETFS_ICTX_UNBUFFERED (9p cache=none): writes go unbuffered
  // Users that opened the file for writing, each with its own key: the
  // file's writeback keys (afs's wb_keys) and the server's ACL for it.
  std::uint32_t writers = 1;
  // The filesystem's ->open sets FMODE_NOWAIT, so io_uring tries its direct
  // writes with IOCB_NOWAIT first (no in-tree netfs filesystem does).
  bool fmode_nowait = false;
  // mapping_set_large_folios(), as afs sets for its files: readahead may
  // allocate large folios.
  bool large_folios = true;
  sim::Time crypto_ns_per_page = 20 * sim::kUs;
};

class World {
 public:
  explicit World(const WorldOptions& options = {});
  ~World();

  NetfsInode& create_file(const FileOptions& options = {});
  // open(2): O_RDWR unless `f_mode` says otherwise (FMODE_READ, FMODE_WRITE);
  // `iocb_flags` are the file's O_DIRECT / O_DSYNC / O_SYNC as IOCB_* bits.
  NetfsFile open(NetfsInode& inode, unsigned f_mode = FMODE_READ | FMODE_WRITE, unsigned iocb_flags = 0);
  // Gives a new file existing contents on the server (as if written and
  // synced before the run): i_size, remote_i_size and zero_point follow.
  void preload(NetfsInode& inode, const std::vector<std::uint8_t>& data);

  Mm& mm() { return mm_; }
  RemoteServer& server() { return server_; }
  LocalCache& cache() { return cache_; }
  Flusher* flusher() { return flusher_.get(); }
  Kswapd* kswapd() { return kswapd_.get(); }
  Kcompactd* kcompactd() { return kcompactd_.get(); }
  const std::vector<std::unique_ptr<NetfsInode>>& files() const { return files_; }
  // netfs_folio records alive when this World was made (a test's, or a World
  // before it that leaked): refcount's leak check counts from there.
  std::int64_t netfs_folio_infos_at_start() const { return netfs_folio_infos_at_start_; }

  // The liveness phase: no more faults, stalls released.
  void heal();
  // Something else to heal then (a FUSE server that stopped answering).
  void on_heal(std::function<void()> fn) { heal_hooks_.push_back(std::move(fn)); }
  // Something else to write back and wait for in the liveness phase, from
  // its fiber, before the World shuts down (a FUSE connection's files).
  void on_drain(std::function<void()> fn) { drain_hooks_.push_back(std::move(fn)); }
  // A superblock-wide inode number for files other filesystems create (FUSE).
  std::uint32_t next_ino() { return next_ino_++; }
  void drain() {
    for (auto& fn : drain_hooks_) fn();
  }
  // sync(2): sync_inodes_sb for the one superblock (model/mm/sync.cpp).
  void sync();
  // SB_I_NO_DATA_INTEGRITY: sync only wakes the flusher and returns.
  bool sb_no_data_integrity = false;
  // Stops the flusher so a phase can end quiescent.
  void shutdown();

 private:
  Mm mm_;
  std::unique_ptr<sim::Workqueue> unbound_wq_;
  std::unique_ptr<sim::Workqueue> crypto_wq_;
  RemoteServer server_;
  LocalCache cache_;
  std::unique_ptr<Flusher> flusher_;
  std::unique_ptr<Mempool> request_pool_;
  std::unique_ptr<Mempool> subrequest_pool_;
  std::unique_ptr<Kswapd> kswapd_;
  std::unique_ptr<Kcompactd> kcompactd_;
  std::vector<std::unique_ptr<NetfsInode>> files_;
  std::vector<std::unique_ptr<RfsInode>> rfs_;
  std::vector<std::function<void()>> heal_hooks_;
  std::vector<std::function<void()>> drain_hooks_;
  std::uint32_t next_ino_ = 1u << 20;
  std::int64_t netfs_folio_infos_at_start_ = 0;
};

}  // namespace wbsim::model
