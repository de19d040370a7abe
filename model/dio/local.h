//! A plain local file: the page cache (model/mm) over a block device with
//! its own latency and faults, and direct I/O kept coherent with that cache
//! by one of four designs from the 2019 thread on bcachefs's merge (Kent
//! Overstreet, Linus Torvalds, Matthew Wilcox; docs/dio.md):
//!
//!   netfs               fs/netfs/locking.c as mainline has it: i_rwsem,
//!                       NETFS_ICTX_ODIRECT, i_dio_count; a DIO write writes
//!                       back and invalidates its range first and again at
//!                       completion (the real locking.c functions run on the
//!                       inode's embedded netfs_inode);
//!   pagecache-add-lock  bcachefs: a two-state lock DIO holds "block" and
//!                       every page adder (faults, page_mkwrite, readahead,
//!                       buffered I/O) holds "add"; faults_disabled_mapping
//!                       turns a gup fault on the DIO's own mapping into
//!                       -EDEADLK;
//!   lock-entries        Linus/Matthew: DIO puts a lock entry in the page
//!                       cache at every index of its range; a fault or
//!                       buffered I/O meeting one waits for its removal;
//!   dio-via-pagecache   Matthew: buffered I/O waits for i_dio_count to reach
//!                       zero before bringing pages in; DIO goes direct only
//!                       when i_pages is empty, else through the page cache;
//!                       waiting buffered I/O holds new DIOs off (the "slight
//!                       tweak").
//!
//! Simplified (docs/model.md): order-0 folios; the device stores a file's
//! bytes at the file's offsets (no extent map, no buffer heads); a folio is
//! mapped into "the" process writable or not (one pte per page), which is
//! what page_mkclean and page_mkwrite act on.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string_view>
#include <vector>

#include "model/dio/blockdev.h"
#include "model/netfs/request.h"
#include "sim/rwsem.h"
#include "sim/waitqueue.h"
#include "sim/workqueue.h"

namespace wbsim::model {

class World;
class LocalFs;

enum class DioPolicy : std::uint8_t { netfs, pagecache_add_lock, lock_entries, dio_via_pagecache };
inline constexpr std::array<DioPolicy, 4> kDioPolicies{DioPolicy::netfs, DioPolicy::pagecache_add_lock,
                                                       DioPolicy::lock_entries, DioPolicy::dio_via_pagecache};
const char* dio_policy_name(DioPolicy p);
std::optional<DioPolicy> parse_dio_policy(std::string_view name);

// The run's `--dio-policy`: overrides the policy every local file of the run
// is created with (thread-local, like MemoryPressureScope).
inline thread_local const DioPolicy* t_dio_policy = nullptr;
class DioPolicyScope {
 public:
  explicit DioPolicyScope(const DioPolicy* p) : saved_(t_dio_policy) { t_dio_policy = p; }
  ~DioPolicyScope() { t_dio_policy = saved_; }
  DioPolicyScope(const DioPolicyScope&) = delete;
  DioPolicyScope& operator=(const DioPolicyScope&) = delete;

 private:
  const DioPolicy* saved_;
};

// What an operation on a local file is, for the checkers.
enum class LocalOp : std::uint8_t {
  buffered_read, buffered_write, dio_read, dio_write, mmap_read, mmap_write, truncate, fallocate, fsync
};
const char* local_op_name(LocalOp op);
inline bool local_op_is_dio(LocalOp op) { return op == LocalOp::dio_read || op == LocalOp::dio_write; }

struct LocalInode {
  // The VFS inode state locking.c works on (mapping, i_size, i_rwsem, the
  // NETFS_ICTX_ODIRECT flag, i_dio_count and its waitqueue): the netfs design
  // runs the real netfs_start_io_* on it. Nothing else of netfs is used.
  NetfsInode vfs;
  LocalFs* fs = nullptr;
  DioPolicy policy = DioPolicy::netfs;
  std::vector<std::uint8_t> disk;  // the file's blocks: byte i of the file at offset i
  // mapping->invalidate_lock: exclusive for truncate and fallocate's shifts,
  // shared by a fault that reads a page in (filemap_fault).
  std::unique_ptr<sim::RwSem> invalidate_lock;
  // Folios (by id) the process has mapped writable: a store to one does not
  // fault. folio_mkclean (at writeback) and removal from the cache end it.
  std::set<std::uint32_t> writable_ptes;

  // pagecache-add-lock (bcachefs two_state_lock): > 0 adders, < 0 blockers.
  int pagecache_lock = 0;
  std::unique_ptr<sim::WaitQueue> pagecache_lock_wq;
  std::multiset<sim::FiberId> pagecache_blockers;  // fibers holding "block" (for the D4 checker)
  // lock-entries: page index -> the DIO holding it, and that DIO's submitter.
  std::map<pgoff_t, std::uint32_t> lock_entries;
  std::map<std::uint32_t, sim::FiberId> lock_entry_owners;
  std::unique_ptr<sim::WaitQueue> lock_entries_wq;
  std::uint64_t lock_entries_allocated = 0;  // the cost Matthew names: entries placed in the tree
  // dio-via-pagecache: fibers in inode_dio_begin..end, and buffered I/O
  // waiting for i_dio_count to reach zero (the tweak holds new DIOs off).
  std::multiset<sim::FiberId> dio_submitters;
  int buffered_waiters = 0;
  std::uint32_t next_dio_id = 1;
};

// An open file description of a local file.
struct LocalFile {
  LocalInode* inode = nullptr;
};

struct LocalFsOptions {
  BlockDevOptions dev;
  unsigned ra_pages = 4;  // readahead window of a fault or buffered read miss
  // D5's bound (checkers/dio_coherency.cpp): no DIO, truncate, fallocate or
  // buffered op may take longer, in virtual time.
  sim::Time starvation_bound = 5 * sim::kSec;
};

// The filesystem: its files, the device, writeback (->writepages), and the
// hooks into the World's heal and drain.
class LocalFs {
 public:
  LocalFs(World& w, const LocalFsOptions& options = {});
  ~LocalFs();
  LocalFs(const LocalFs&) = delete;
  LocalFs& operator=(const LocalFs&) = delete;

  // A file of `size` bytes already on the device (written and synced before
  // the run), with the run's `--dio-policy` or else `policy`.
  LocalInode& create_file(std::span<const std::uint8_t> contents, DioPolicy policy = DioPolicy::netfs);
  LocalFile open(LocalInode& inode) { return LocalFile{&inode}; }

  World& world() { return w_; }
  BlockDev& dev() { return dev_; }
  const LocalFsOptions& options() const { return options_; }
  const std::vector<std::unique_ptr<LocalInode>>& files() const { return files_; }
  // `current->faults_disabled_mapping` of each fiber (bcachefs).
  std::map<sim::FiberId, const AddressSpace*> faults_disabled_mapping;
  sim::Workqueue& dio_wq() { return *dio_wq_; }
  std::vector<std::shared_ptr<void>> dio_keepalive;  // every DIO of the run (see local_dio_write)

 private:
  void drain();
  World& w_;
  LocalFsOptions options_;
  BlockDev dev_;
  std::unique_ptr<sim::Workqueue> dio_wq_;  // AIO completion work (iomap_dio_complete_work)
  std::vector<std::unique_ptr<LocalInode>> files_;
};

// ---- the system calls a scenario makes ----------------------------------------
// read(2)/write(2) through the page cache. Returns bytes or a negative errno.
std::vector<std::uint8_t> local_buffered_read(LocalFile& f, loff_t pos, std::uint64_t len, int* error = nullptr);
std::int64_t local_buffered_write(LocalFile& f, loff_t pos, const std::vector<std::uint8_t>& data);
// O_DIRECT read and write; `aio`: an io_uring/aio submission (the call
// returns -EIOCBQUEUED inside and ki_complete runs later from a workqueue;
// the model's caller waits for that value). `user_buf_pos`, when set, makes
// the write's source buffer a shared mapping of this same file at that
// offset: the DIO takes its data by gup, faulting those pages in.
std::int64_t local_dio_write(LocalFile& f, loff_t pos, const std::vector<std::uint8_t>& data, bool aio,
                             std::optional<loff_t> user_buf_pos = std::nullopt);
std::vector<std::uint8_t> local_dio_read(LocalFile& f, loff_t pos, std::uint64_t len, bool aio,
                                         int* error = nullptr);
// Loads and stores through a shared mapping of the file; each page that is
// not mapped faults (filemap_fault, page_mkwrite). A store to a page wholly
// past EOF is lost (SIGBUS). Returns 0 or -EDEADLK/-EFAULT for a gup fault
// the design refused.
std::vector<std::uint8_t> local_mmap_read(LocalFile& f, loff_t pos, std::uint64_t len);
void local_mmap_write(LocalFile& f, loff_t pos, const std::vector<std::uint8_t>& data);
int local_truncate(LocalFile& f, loff_t size);
// fallocate(2): punch a hole, zero a range, insert or collapse a range.
enum class FallocMode : std::uint8_t { punch_hole, zero_range, insert_range, collapse_range };
int local_fallocate(LocalFile& f, FallocMode mode, loff_t offset, std::uint64_t len);
int local_fsync(LocalFile& f);

// ---- inside the model ----------------------------------------------------------
LocalInode& local_inode(AddressSpace& mapping);
int local_writepages(AddressSpace& mapping, WritebackControl& wbc);

}  // namespace wbsim::model
