//! Model events: the state transitions the property checkers subscribe to.
//!
//! The model announces what happened (a folio's writeback started, a
//! subrequest was appended to a stream, the server applied a write, a
//! system call returned) and does not know who listens. The checkers
//! (checkers/) implement Observer and may also inspect the model's state
//! through the references they are given; they never change it.
//!
//! An event is announced after the transition it names, unless its name
//! says otherwise (`*_begin`, `folio_start_writeback` which is announced
//! before the flag is set so a checker sees the state being left).
//! Observers are installed per thread, for one run, by the harness
//! (ObserverScope); with none installed an event costs one load.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/mm/folio.h"

namespace wbsim::model {

struct AddressSpace;
struct Mm;
struct WritebackControl;
struct NetfsInode;
struct NetfsIoRequest;
struct NetfsIoStream;
struct NetfsIoSubrequest;
struct NetfsGroup;
class World;
struct FuseInode;
struct LocalInode;
enum class LocalOp : std::uint8_t;
enum class RangeOp : std::uint8_t;
struct Ploop;
struct Pio;
struct MdPage;
struct PloopIndexWb;
struct PloopBio;
enum class BlkStatus : std::uint8_t;

class Observer {
 public:
  virtual ~Observer() = default;

  // --- folios (mm/) ---------------------------------------------------------
  virtual void folio_start_writeback(const Folio& f) {}  // before PG_writeback is set
  virtual void folio_end_writeback(const Folio& f) {}    // before PG_writeback is cleared
  virtual void folio_locked(const Folio& f) {}
  virtual void folio_unlocked(const Folio& f) {}         // before PG_locked is cleared
  virtual void folio_private_changed(const Folio& f, FolioPrivate::Kind old_kind) {}
  virtual void folio_removed(const Folio& f) {}          // from the page cache, before
  virtual void folio_freed(const Folio& f) {}            // last reference dropped
  // Page migration moved `src`'s page-cache entry, contents, flags and
  // private data to `dst` (src is out of the cache, dst in it, both locked).
  virtual void folio_migrated(const Folio& src, const Folio& dst) {}
  virtual void folio_dirtied(const Folio& f) {}
  // A store under write group `group` (null: none) landed in `f`: a
  // buffered write's copy, or a store through a mapping.
  virtual void group_stored(const Folio& f, const NetfsGroup* group) {}
  // writeback_iter(): a folio handed out (null: the walk ended) and one
  // handed back (the caller's previous folio).
  virtual void writeback_iter_start(const AddressSpace& m, const WritebackControl& wbc) {}
  virtual void writeback_iter_given_back(const AddressSpace& m, const WritebackControl& wbc, const Folio& f) {}
  virtual void writeback_iter_returned(const AddressSpace& m, const WritebackControl& wbc, const Folio* f) {}
  virtual void writepages_returned(const AddressSpace& m, const WritebackControl& wbc, int ret) {}
  virtual void mapping_error(const AddressSpace& m, int error) {}
  // The flusher goes to sleep (idle) or wakes up for a pass (wb_workfn).
  virtual void flusher_idle(const Mm& mm, bool idle) {}
  // balance_dirty_pages_ratelimited() was called for `m` by the running
  // task, and (`begin`/!`begin`) a writer's first and last pause in the
  // throttling loop of balance_dirty_pages.
  virtual void dirty_balance(const AddressSpace& m) {}
  virtual void dirty_throttle(const Mm& mm, bool begin) {}

  // --- netfs requests (model/netfs/) -----------------------------------------
  virtual void wreq_created(const NetfsIoRequest& wreq) {}
  // A subrequest joined a stream's list; `retry` for extras the retry path inserts.
  virtual void subreq_added(const NetfsIoRequest& wreq, const NetfsIoStream& s, const NetfsIoSubrequest& r,
                            bool retry) {}
  // Handed to the filesystem or the cache with its io_iter set (first issue or reissue).
  virtual void subreq_issued(const NetfsIoSubrequest& r, bool retry) {}
  virtual void subreq_terminated(const NetfsIoSubrequest& r) {}
  // The collector moved an empty stream's collected_to up to issued_to.
  virtual void stream_jumped(const NetfsIoRequest& wreq, const NetfsIoStream& s) {}
  virtual void all_queued(const NetfsIoRequest& wreq) {}
  virtual void collector_begin(const NetfsIoRequest& wreq) {}
  virtual void collector_end(const NetfsIoRequest& wreq) {}
  virtual void collected(const NetfsIoRequest& wreq) {}  // after each pass over the streams
  // netfs_retry_writes(): the streams are re-split and reissued in between;
  // a stream's list is consistent again only at retry_end.
  virtual void retry_begin(const NetfsIoRequest& wreq) {}
  virtual void retry_end(const NetfsIoRequest& wreq) {}
  // netfs_folio_written_back(), before it ends writeback on `f`. `wreq` is
  // null when the issuer ends writeback on a folio it sent nowhere.
  virtual void folio_written_back(const NetfsIoRequest* wreq, const Folio& f, loff_t dirty_end) {}
  virtual void wreq_done(const NetfsIoRequest& wreq) {}  // IN_PROGRESS cleared
  virtual void issuer_begin(const NetfsIoRequest& wreq) {}  // netfs_writepages / writethrough owns it
  virtual void issuer_end(const NetfsIoRequest& wreq) {}
  virtual void i_size_changed(const NetfsInode& inode, loff_t old_size, loff_t new_size, bool truncate) {}
  // An unbuffered or direct read request (direct_read.c): a subrequest
  // joined the stream's list (the stream is published active by then), and
  // the read collector finished a pass over the stream.
  virtual void read_subreq_queued(const NetfsIoRequest& rreq, const NetfsIoStream& s, const NetfsIoSubrequest& r) {}
  // A read subrequest goes to the filesystem's ->issue_read for `len` bytes
  // at `pos` (the unbuffered path; the model's buffered reads are not cut
  // into subrequests, docs/model.md).
  virtual void read_subreq_issued(const NetfsIoRequest& rreq, const NetfsIoSubrequest& r, loff_t pos,
                                  std::uint64_t len) {}
  virtual void read_collected(const NetfsIoRequest& rreq) {}

  // --- system calls (what the application sees) -------------------------------
  // Announced under the inode lock, so writers' events come in their order.
  virtual void write_begin(const NetfsInode& inode, loff_t pos, std::uint64_t len, bool unbuffered) {}
  virtual void write_returned(const NetfsInode& inode, loff_t pos, std::span<const std::uint8_t> data,
                              std::int64_t ret, bool unbuffered) {}
  // Bytes stored into the page cache: by a buffered write's copy, or through
  // a shared mapping (only the bytes below EOF: the rest are dropped).
  virtual void data_stored(const NetfsInode& inode, loff_t pos, std::span<const std::uint8_t> data) {}
  virtual void truncate_returned(const NetfsInode& inode, loff_t size, int ret) {}
  // Dropping the page cache (posix_fadvise DONTNEED, drop_caches): around
  // the invalidation, after the range was written back.
  virtual void page_cache_drop_begin(const NetfsInode& inode) {}
  virtual void page_cache_drop_returned(const NetfsInode& inode) {}
  // A range operation (fallocate's modes, copy_file_range) holds the inode
  // lock and is about to drop the page cache it changes.
  virtual void range_op_begin(const NetfsInode& inode, RangeOp op, loff_t offset, std::uint64_t len) {}
  // A range operation the server carried out, announced under the inode
  // lock once it succeeded.
  virtual void range_op_done(const NetfsInode& inode, RangeOp op, loff_t offset, std::uint64_t len, loff_t dest,
                             bool keep_size) {}
  // What fallocate or copy_file_range returned to the application: 0, or a
  // negative errno (the model's copy_file_range returns 0 for a whole copy).
  virtual void range_op_returned(const NetfsInode& inode, RangeOp op, loff_t offset, std::uint64_t len, int ret) {}
  // A load or store through a shared mapping of [pos, pos+len) began or
  // ended, and a page fault it took at `pos` (announced before the fault
  // finds or reads the folio).
  virtual void mapped_access(const NetfsInode& inode, loff_t pos, std::uint64_t len, bool begin) {}
  virtual void mapped_fault(const NetfsInode& inode, loff_t pos) {}
  virtual void read_begin(const NetfsInode& inode) {}
  virtual void read_returned(const NetfsInode& inode, loff_t pos, std::span<const std::uint8_t> data) {}
  // A read that returned an error: an unbuffered read's failed subrequest,
  // or (`flush`) the writeback error its flush of the range reported.
  virtual void read_failed(const NetfsInode& inode, loff_t pos, std::uint64_t len, std::int64_t ret, bool flush) {}
  virtual void fsync_begin(const NetfsInode& inode) {}
  // fsync, fdatasync or a sync write's vfs_fsync_range over [start, end].
  virtual void fsync_returned(const NetfsInode& inode, int ret, loff_t start, loff_t end) {}
  // sync_file_range(2) returned; an error it returns is the file's unseen
  // writeback error (errseq), reported once as fsync's is. No data-integrity
  // promise comes with a 0.
  virtual void sync_file_range_returned(const NetfsInode& inode, int ret) {}
  // sync(2) began / returned; `waited`: it wrote back and waited for every
  // mapping with data integrity guarantees (not only woke the flusher).
  virtual void sync_begin() {}
  virtual void sync_returned(bool waited) {}

  // --- the server (model/backend/) ---------------------------------------------
  // A write RPC was applied: bytes [pos, pos+len) stored, size old -> new.
  virtual void server_wrote(std::uint32_t file_id, loff_t pos, std::uint64_t len, std::uint64_t old_size,
                            std::uint64_t new_size) {}
  // A write RPC arrived, before the server judges it: `len` bytes at `pos`,
  // carrying `credits` send credits (0: the client negotiates none, as afs
  // and 9p); `wsize` is the write size the server negotiated, `in_flight`
  // the credits held by RPCs in flight (this one included) of `granted`.
  virtual void server_write_rpc(std::uint32_t file_id, loff_t pos, std::uint64_t len, std::uint32_t credits,
                                std::uint64_t wsize, std::uint64_t in_flight, std::uint64_t granted) {}
  // A write RPC was refused with `error`: stored nothing. -EAGAIN (a
  // reconnect) asks the client to retry; any other error is permanent.
  virtual void server_write_refused(std::uint32_t file_id, loff_t pos, std::uint64_t len, int error) {}

  // --- FUSE (model/fuse/) -----------------------------------------------------
  // A buffered write stored bytes in the page cache.
  virtual void fuse_data_stored(const FuseInode& inode, loff_t pos, std::span<const std::uint8_t> data) {}
  virtual void fuse_fsync_begin(const FuseInode& inode) {}
  // fsync / fdatasync returned; the server's file is inode.server_data.
  virtual void fuse_fsync_returned(const FuseInode& inode, int ret) {}

  // --- local files and direct I/O coherency (model/dio/) ------------------------
  // A local file was created with contents already on its device.
  virtual void local_file_created(const LocalInode& inode) {}
  // An operation began / returned (`ret`: bytes or a negative errno).
  virtual void local_op_begin(const LocalInode& inode, LocalOp op, loff_t pos, std::uint64_t len) {}
  virtual void local_op_end(const LocalInode& inode, LocalOp op, loff_t pos, std::uint64_t len, std::int64_t ret) {}
  // The bytes a write is about to apply (announced before any of them can
  // be seen: a buffered write's copy, a DIO write's bios, a store).
  virtual void local_write_data(const LocalInode& inode, LocalOp op, loff_t pos, std::span<const std::uint8_t> data) {}
  // What a read returned to the application (only bytes below EOF).
  virtual void local_read_data(const LocalInode& inode, LocalOp op, loff_t pos, std::span<const std::uint8_t> data) {}
  // The file's size changed (truncate, fallocate, an extending write).
  virtual void local_size_changed(const LocalInode& inode, loff_t old_size, loff_t new_size) {}
  // fallocate moved the bytes from `from` on by `shift` (insert: +, collapse: -).
  virtual void local_shifted(const LocalInode& inode, loff_t from, std::int64_t shift) {}
  // A DIO write's window: opened once its range was shot down in the page
  // cache, closed when it is about to be reported complete (after any
  // invalidation at completion).
  virtual void local_dio_window_open(const LocalInode& inode, std::uint32_t dio, loff_t start, loff_t end) {}
  virtual void local_dio_window_close(const LocalInode& inode, std::uint32_t dio, std::int64_t ret) {}
  // A folio joined the page cache of a local file.
  virtual void local_folio_added(const LocalInode& inode, const Folio& f) {}
  // A task is about to block on a coherency lock (`what`); `self_held`: it,
  // or the DIO it is submitting, holds what it waits for.
  virtual void local_coherency_wait(const LocalInode& inode, const char* what, bool self_held) {}
  // Inside / leaving the section netfs's I/O locks protect (D1): a buffered
  // op under netfs_start_io_read/write (or a layout change), a DIO from
  // netfs_start_io_direct until it completes. Netfs files, and local files of
  // the netfs design (their embedded netfs inode).
  virtual void netfs_exclusion(const NetfsInode& inode, bool dio, bool enter) {}

  // --- dm-ploop (model/ploop/) ---------------------------------------------------
  virtual void ploop_created(const Ploop& p) {}
  // A bio from above was submitted / completed to its submitter (after the
  // whole flush sequence blk-flush runs for it).
  virtual void ploop_bio_submitted(const Ploop& p, std::uint64_t bio, const PloopBio& b) {}
  virtual void ploop_bio_completed(const Ploop& p, std::uint64_t bio, BlkStatus s) {}
  // An md page's status changed from `old_status` (announced before the
  // driver's WARN on it).
  virtual void ploop_md_status(const Ploop& p, const MdPage& md, unsigned old_status) {}
  // An index writeback reached a stage: 1 its md page write completed, 2 the
  // flush after it completed (bi_status of each), 3 the in-memory BAT was
  // updated from it.
  virtual void ploop_piwb_stage(const Ploop& p, const PloopIndexWb& piwb, int stage, BlkStatus s) {}
  // A pio is about to complete upward (its endio callback runs next).
  virtual void ploop_pio_end(const Ploop& p, const Pio& pio) {}
  // A request from above ends with `s`; `delayed`: parked for ENOSPC instead.
  virtual void ploop_rq_end(const Ploop& p, const Pio& pio, BlkStatus s, bool delayed) {}
  // A pio was handed to the image file (read or write at cluster `pio.clu`).
  virtual void ploop_pio_to_file(const Ploop& p, const Pio& pio, bool is_write) {}
  // A cluster lock was taken / released by `pio` (discard).
  virtual void ploop_cluster_lock(const Ploop& p, std::uint32_t clu, const Pio& pio, bool locked) {}
  // A flush pio was queued for the fsync worker / is about to end.
  virtual void ploop_flush_queued(const Ploop& p, const Pio& pio) {}
  virtual void ploop_flush_end(const Ploop& p, const Pio& pio) {}
  // vfs_fsync of the image began / returned.
  virtual void ploop_fsync(const Ploop& p, bool begin, int ret) {}
  // A point where power could be cut with something newly durable (an fsync
  // returned, a dsync write completed), or a random one (`random`).
  virtual void ploop_persistence_point(const Ploop& p, bool random) {}

  // --- the world ------------------------------------------------------------
  virtual void world_created(World& w) {}
  // A file given contents on the server before the run (World::preload).
  virtual void file_preloaded(const NetfsInode& inode, std::span<const std::uint8_t> data) {}
  virtual void world_destroyed(World& w) {}
};

// The observers of the calling thread's run.
inline thread_local std::vector<Observer*>* t_observers = nullptr;

// Installs observers for the lifetime of the scope (one run).
class ObserverScope {
 public:
  explicit ObserverScope(std::vector<Observer*>& observers) : previous_(t_observers) { t_observers = &observers; }
  ~ObserverScope() { t_observers = previous_; }
  ObserverScope(const ObserverScope&) = delete;
  ObserverScope& operator=(const ObserverScope&) = delete;

 private:
  std::vector<Observer*>* previous_;
};

}  // namespace wbsim::model

// MODEL_EVENT(folio_locked(f)): tells every installed observer.
#define MODEL_EVENT(call)                                                              \
  do {                                                                                 \
    if (auto* wbsim_obs_ = ::wbsim::model::t_observers) {                                \
      for (::wbsim::model::Observer* wbsim_o_ : *wbsim_obs_) wbsim_o_->call;           \
    }                                                                                  \
  } while (0)
