//! FUSE writeback (fs/fuse/file.c, fs/fuse/dev.c, reduced): a connection
//! with a request queue, a user-space server as fibers, and buffered
//! writeback in the two designs of the "remove temp page copies" series.
//!
//! - temp pages (legacy): writeback copies each folio into a temporary page
//!   (an allocation, GFP_NOFS), ends writeback on the original at once and
//!   tracks the copy in an in-flight set until the server replies; later
//!   writes and fsync wait on that set (fuse_wait_on_page_writeback,
//!   fuse_sync_writes).
//! - no temp pages (0c58a97f919c): the folio stays under writeback until
//!   the reply, and the mapping is flagged AS_WRITEBACK_MAY_DEADLOCK_ON_
//!   RECLAIM so reclaim never waits on it.
//!
//! Requests move as in fs/fuse/dev.c: queued on the pending list, read by a
//! server thread (then "processing"), answered. The server's handler
//! allocates memory for each request, as a real server does (buffers, page
//! cache of its backing file); that allocation may enter direct reclaim in
//! the server's own thread.
//!
//! The server can misbehave: be slow (handler time), drop WRITE replies
//! (buggy), be frozen (as before suspend), crash -- with the /dev/fuse fd
//! closed (the connection is aborted) or kept by a supervisor and restarted
//! (requests it had read are lost unless the new server asks for them with
//! FUSE_NOTIFY_RESEND) -- or answer nothing at all (malicious) until the
//! connection is aborted through /sys/fs/fuse/connections/N/abort.
//!
//! Writeback gathers contiguous folios into WRITEs of up to max_pages, as
//! fuse_writepages_fill does.
//!
//! The client of Linux 6.18 (FuseClient::v6_18; docs/fuse.md) is the other
//! client the connection serves: buffered writes through iomap with the
//! writeback cache (per-block dirty and uptodate state in
//! iomap_folio_state), write-through without it, writeback of dirty ranges
//! batched by fuse_iomap_writeback_range, laundering, truncate, fallocate,
//! copy_file_range, open/flush/release/fsync, page-cache reads with
//! readahead, and attribute caching with auto_inval_data. Its server is a
//! logging passthrough: every request it reads is recorded (request_log)
//! in the format of tests/data/fuse/README.md.
//!
//! Not modelled: FUSE_INIT, splice, request interruption, the seed
//! designs' reads other than the read of a page before a partial write.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <memory>
#include <set>
#include <span>
#include <vector>

#include "model/mm/readahead.h"
#include "model/world.h"
#include "sim/completion.h"
#include "sim/kthread.h"
#include "sim/rwsem.h"
#include "sim/semaphore.h"
#include "sim/waitqueue.h"

namespace wbsim::model {

// Which FUSE client the connection serves: the seed series' (its two
// writeback designs, by temp_pages) or Linux 6.18's.
enum class FuseClient : std::uint8_t { seed, v6_18 };

struct FuseOptions {
  FuseClient client = FuseClient::seed;
  unsigned server_threads = 1;
  bool temp_pages = false;            // the legacy writeback design
  bool flag_mapping = true;           // AS_WRITEBACK_MAY_DEADLOCK_ON_RECLAIM on no-temp-page mappings
  unsigned handler_alloc_pages = 1;   // pages the server allocates per request
  // Contiguous folios one WRITE carries (fc->max_pages; FUSE_DEFAULT_MAX_PAGES_PER_REQ).
  unsigned max_pages = 32;
  sim::Time handler_time = 50 * sim::kUs;       // per request, whatever its size
  sim::Time handler_ns_per_kib = 0;             // per KiB of WRITE payload
  bool flag_no_data_integrity = true;  // AS_NO_DATA_INTEGRITY on every FUSE mapping (f9a49aa302a0)
  bool sb_no_data_integrity = true;    // SB_I_NO_DATA_INTEGRITY on the superblock (the 2026 fix)
  // The legacy design's cost of a copy in virtual time: the page
  // allocation and the memcpy (docs/fuse.md, "Figures").
  sim::Time temp_copy_ns_per_page = 0;
  // The application's side of a buffered write in virtual time: the call
  // itself and the copy into each page (0: writes take no time).
  sim::Time write_call_ns = 0;
  sim::Time write_ns_per_page = 0;
  // CPUs the costs above compete for (the writer, the flusher's copies and
  // the server's handlers); 0: as many as there are fibers.
  unsigned cpus = 0;
  // fuse_sync_writes: fsync waits for in-flight copies. Off only in tests
  // that plant a violation of writeback-truth (F5).
  bool fsync_waits_in_flight = true;
  // The 6.18 client's connection (FUSE_INIT's answers and mount options).
  bool writeback_cache = true;        // FUSE_CAP_WRITEBACK_CACHE
  std::uint32_t max_write = 1u << 20;
  unsigned ra_pages = 32;             // max_readahead / PAGE_SIZE
  bool auto_inval_data = true;
  unsigned max_background = 12;       // FUSE_DEFAULT_MAX_BACKGROUND
  unsigned congestion_threshold = 9;  // 3/4 of max_background
  // Page-cache folios up to this order (mapping_set_folio_order_range).
  // 6.18 sets no range on FUSE mappings: every folio is one page. Larger
  // orders are the variant of the later large-folio series.
  unsigned max_folio_order = 0;
  // The block size the server reports (st_blksize) or a fuseblk mount asks
  // for. The inode's i_blkbits stays PAGE_SHIFT whatever it is (6.18);
  // before the fix it followed it (--bug fuse-iomap-subpage-blocks).
  unsigned blkbits = 12;
};

class FuseConn;
struct FuseFile;
struct FuseWritepageArgs;
struct IomapFolioState;

struct FuseInode {
  AddressSpace mapping;
  std::uint32_t nodeid = 0;  // the connection's
  std::uint32_t ino = 0;     // the World's: unique across connections
  loff_t i_size = 0;
  FuseConn* fc = nullptr;
  std::unique_ptr<sim::RwSem> i_rwsem;
  std::set<pgoff_t> writeback_in_flight;  // temp-page design: copies awaiting the reply
  std::unique_ptr<sim::WaitQueue> in_flight_wq;
  std::vector<std::uint8_t> server_data;  // the server's backing file
  // The backing file's mtime: every change moves it (a fine-grained
  // timestamp, as ext4's multigrain timestamps give once it was queried).
  std::uint64_t server_mtime = 0;

  // The 6.18 client's struct fuse_inode.
  std::uint64_t attr_mtime = 0;    // the cached mtime (inode->i_mtime)
  std::uint32_t inval_mask = 0;    // fi->inval_mask (STATX_* bits)
  int writectr = 0;                // fi->writectr; FUSE_NOWRITE while negative
  std::deque<std::unique_ptr<FuseWritepageArgs>> queued_writes;  // fi->queued_writes
  std::vector<FuseFile*> write_files;  // fi->write_files
  bool size_unstable = false;      // FUSE_I_SIZE_UNSTABLE
  // folio->private of large folios: iomap_folio_state, by folio id.
  std::map<std::uint32_t, std::unique_ptr<IomapFolioState>> ifs;
  FuseInode();
  ~FuseInode();
};

// struct file with its struct fuse_file (the 6.18 client).
struct FuseFile {
  FuseInode* inode = nullptr;
  std::uint32_t f_flags = 0;  // open flags (O_RDWR | O_LARGEFILE ...)
  std::uint64_t fh = 0;
  FileRaState ra;
  bool mapped_shared = false;  // a shared writable mapping is open
};

// A request's arguments as the server reads them, and its answer.
struct FuseIn {
  std::uint64_t nodeid = 0;
  bool from_kernel = false;   // nocreds: pid 0 (writeback, release)
  loff_t offset = 0;          // WRITE, READ, FALLOCATE, COPY_FILE_RANGE (off_in)
  std::uint64_t size = 0;     // WRITE, READ, FALLOCATE (length), COPY_FILE_RANGE (len)
  std::uint32_t write_flags = 0;
  std::uint32_t flags = 0;    // open flags carried (OPEN, CREATE, WRITE, RELEASE)
  std::uint32_t valid = 0;    // SETATTR: FATTR_* bits
  loff_t attr_size = 0;       // SETATTR with FATTR_SIZE
  std::uint32_t mode = 0;     // FALLOCATE mode, CREATE mode
  bool datasync = false;      // FSYNC
  std::uint32_t release_flags = 0;
  std::uint64_t nodeid_out = 0;  // COPY_FILE_RANGE
  loff_t off_out = 0;
  std::string name;           // CREATE, GETXATTR
};

struct FuseStats {
  std::uint64_t requests = 0;
  std::uint64_t temp_copies = 0;
  std::uint64_t folios_written = 0;  // folios whose WRITE the server acknowledged
  std::uint64_t writes_answered = 0; // WRITE requests answered (each carries up to max_pages folios)
  std::uint64_t bytes_written = 0;   // payload the server acknowledged
  sim::Time writeback_time = 0;      // summed over folios: PG_writeback set to cleared
  sim::Time request_time = 0;        // summed over WRITEs: queued to answered
  std::uint64_t folios_sent = 0;     // WRITEs queued
  sim::Time first_send = 0;          // first WRITE queued
  sim::Time last_reply = 0;          // last WRITE answered
};

// The seed client sends the first three; the 6.18 client all of them.
enum class FuseOpcode : std::uint8_t {
  write, setattr, fsync, create, open, flush, release, read, getattr, getxattr, fallocate,
  copy_file_range, copy_file_range_64
};
const char* fuse_opcode_name(FuseOpcode op);

class FuseConn {
 public:
  FuseConn(World& w, const FuseOptions& options);
  ~FuseConn();

  FuseInode& create_file();
  // A buffered write (fuse_perform_write -> the page cache). 0, or
  // -ENOTCONN when a page had to be read from a dead connection.
  int write(FuseInode& inode, loff_t pos, const std::vector<std::uint8_t>& data);
  // fsync / fdatasync (fuse_fsync): write back and wait, in-flight copies
  // included, then a FUSE_FSYNC request. May wait as long as the server
  // does (F3).
  int fsync(FuseInode& inode, bool datasync = false);
  // sync_file_range(2) on the file (no FUSE request; F3).
  int sync_file_range(FuseInode& inode, loff_t offset, loff_t nbytes, unsigned flags);
  // Stops the server threads (they are idle daemons otherwise).
  void stop();
  // A buggy server: WRITE requests are read and never answered, until
  // heal() (the World's liveness phase) answers them.
  void drop_write_replies() { dropping_ = true; }
  // A malicious server: no request of any kind is ever answered. Only
  // abort() ends it; heal() does not.
  void never_reply() { malicious_ = true; }
  // The daemon is frozen (as systemd does before suspend): no request is
  // read until heal() thaws it.
  void freeze() { frozen_ = true; }
  // The server process dies. With `keep_fd` a supervisor holds /dev/fuse
  // and the connection lives on: requests the dead process had read stay
  // unanswered; otherwise the connection is aborted.
  void crash(bool keep_fd);
  // A new server process on the kept fd; with `resend` it sends
  // FUSE_NOTIFY_RESEND, which puts every request still processing back on
  // the pending list.
  void restart(bool resend);
  // fuse_abort_conn: every pending and processing request ends with
  // -ECONNABORTED, later ones fail with -ENOTCONN; writeback ends with the
  // error recorded on the mapping.
  void abort();
  bool connected() const { return connected_; }
  void heal();
  // ->write_inode: a synchronous SETATTR (fuse_write_inode).
  void write_inode(FuseInode& inode);

  // The 6.18 client's requests. A synchronous request waits for its answer
  // (fuse_simple_request) and returns the error, its result in *out; a
  // background one (fuse_simple_background) calls `end` when answered.
  struct Reply {
    std::int64_t out = 0;             // bytes written or copied, node id
    loff_t attr_size = 0;             // GETATTR, SETATTR
    std::uint64_t attr_mtime = 0;
    std::vector<std::uint8_t> data;   // READ
  };
  int simple_request(FuseInode& inode, FuseOpcode opcode, const FuseIn& in, std::vector<std::uint8_t> payload,
                     Reply* reply);
  void simple_background(FuseInode& inode, FuseOpcode opcode, const FuseIn& in, std::vector<std::uint8_t> payload,
                         std::function<void(int error, const Reply&)> end);
  unsigned num_background() const { return num_background_; }
  // fc->no_copy_file_range_64 and fc->no_copy_file_range: learnt from ENOSYS.
  bool no_copy_file_range_64 = false;
  bool no_copy_file_range = false;
  // Every request the server read, in the order it read them, one line
  // each (tests/data/fuse/README.md), the requests it leaves out of its
  // view included; request_view() is the view.
  const std::vector<std::string>& request_log() const { return request_log_; }
  // The 6.18 client's file (inode 2 under the root, created by FUSE_CREATE).
  FuseInode& create_inode_618();

  const FuseOptions& options() const { return options_; }
  const FuseStats& stats() const { return stats_; }
  World& world() { return w_; }
  const std::vector<std::unique_ptr<FuseInode>>& files() const { return files_; }

 private:
  struct Request {
    std::uint64_t unique = 0;
    FuseOpcode opcode = FuseOpcode::write;
    FuseInode* inode = nullptr;
    loff_t pos = 0;
    std::vector<std::uint8_t> data;
    std::vector<Folio*> folios;       // no-temp design: the folios under writeback
    std::vector<pgoff_t> temp_indices;  // temp design: the in-flight copies' indices
    sim::Time started = 0;
    sim::Completion* done = nullptr;  // a synchronous request's waiter
    int* error = nullptr;             // where its result goes
    // The 6.18 client's requests.
    bool v618 = false;
    FuseIn in;
    Reply* reply = nullptr;                                 // a synchronous request's answer
    std::function<void(int error, const Reply&)> end;      // a background request's args->end
  };
  // server.cpp: the logging passthrough server's handler for the 6.18
  // client's requests; the answer and the log line.
  int serve_618(Request& req, Reply* reply);
  void end_request_618(Request& req, int error, const Reply& reply);
  friend int fuse_writepages_seed(AddressSpace& mapping, WritebackControl& wbc);
  // Sends a synchronous request and waits for its answer.
  int send_sync(FuseInode& inode, FuseOpcode opcode, const char* note);
  void queue(std::unique_ptr<Request> req);
  std::unique_ptr<Request> request_618(FuseInode& inode, FuseOpcode opcode, const FuseIn& in,
                                       std::vector<std::uint8_t> payload);
  void serve(sim::Kthread& self);
  void end_request(Request& req, int error);
  void drain();
  void resend_processing();
  // `ns` of CPU time: on one of options.cpus CPUs when they are counted.
  void cpu_work(sim::Time ns);

  World& w_;
  FuseOptions options_;
  FuseStats stats_;
  std::uint64_t next_unique_ = 1;
  std::deque<std::unique_ptr<Request>> pending_;
  std::map<std::uint64_t, std::unique_ptr<Request>> processing_;  // read by the server, unanswered
  sim::WaitQueue queue_wq_{"fuse.queue"};
  std::unique_ptr<sim::Semaphore> cpus_;
  std::vector<std::unique_ptr<sim::Kthread>> threads_;
  std::vector<std::unique_ptr<FuseInode>> files_;
  bool dropping_ = false;
  bool malicious_ = false;
  bool frozen_ = false;
  unsigned num_background_ = 0;  // fc->num_background
  std::vector<std::string> request_log_;
  bool alive_ = true;       // a server process is attached
  bool connected_ = true;   // not aborted
  std::uint64_t generation_ = 0;  // bumps when the server process dies
};

// The 6.18 client's calls, as an application makes them (the file
// operations of fs/fuse/file.c and the inode operations of fs/fuse/dir.c).
// Results are 0 or minus an errno unless said otherwise.
struct FuseStatx {
  loff_t size = 0;
};
// open(name, O_RDWR | O_CREAT | O_TRUNC, 0644) in the root: FUSE_CREATE.
int fuse_create_open(FuseConn& fc, FuseInode& fi, FuseFile* file);
// open(O_RDWR) of the existing file: FUSE_OPEN.
int fuse_open(FuseConn& fc, FuseInode& fi, FuseFile* file);
// close(): ->flush (FUSE_FLUSH), then ->release (FUSE_RELEASE, background).
int fuse_close(FuseFile& file);
std::int64_t fuse_file_write_iter(FuseFile& file, loff_t pos, std::span<const std::uint8_t> data);
std::int64_t fuse_file_read_iter(FuseFile& file, loff_t pos, std::uint64_t count, std::vector<std::uint8_t>* out);
int fuse_fsync(FuseFile& file, loff_t start, loff_t end, bool datasync);
// ftruncate(): notify_change -> fuse_setattr -> fuse_do_setattr.
int fuse_ftruncate(FuseFile& file, loff_t size);
int fuse_file_fallocate(FuseFile& file, std::uint32_t mode, loff_t offset, loff_t length);
std::int64_t fuse_copy_file_range(FuseFile& in, loff_t pos_in, FuseFile& out, loff_t pos_out, std::uint64_t len);
// copy_file_range(2) (fs/read_write.c): generic_copy_file_checks clips the
// length at the source's EOF and refuses an overlap within one file
// (-EINVAL); nothing left to copy returns 0 without a request.
std::int64_t vfs_copy_file_range(FuseFile& in, loff_t pos_in, FuseFile& out, loff_t pos_out, std::uint64_t len);
// mmap(MAP_SHARED) of [start, end), stores of `data` at pos through it
// (faults and ->page_mkwrite), msync(MS_SYNC) of the mapping, munmap.
int fuse_mapped_write(FuseFile& file, loff_t start, loff_t pos, std::span<const std::uint8_t> data);
// fstat(): fuse_getattr.
int fuse_getattr(FuseFile& file, FuseStatx* st);
// fgetxattr(fd, name, NULL, 0): FUSE_GETXATTR.
int fuse_getxattr(FuseFile& file, const std::string& name);
// posix_fadvise(POSIX_FADV_DONTNEED): write back (no wait), drop clean folios.
void fuse_fadvise_dontneed(FuseFile& file);

// fallocate modes and FATTR bits (include/uapi/linux/falloc.h, fuse.h).
inline constexpr std::uint32_t FALLOC_FL_KEEP_SIZE = 0x01;
inline constexpr std::uint32_t FALLOC_FL_PUNCH_HOLE = 0x02;
inline constexpr std::uint32_t FALLOC_FL_ZERO_RANGE = 0x10;
inline constexpr std::uint32_t FATTR_SIZE = 1u << 3;
inline constexpr std::uint32_t FATTR_MTIME = 1u << 5;
inline constexpr std::uint32_t FATTR_FH = 1u << 6;
inline constexpr std::uint32_t FATTR_MTIME_NOW = 1u << 8;
inline constexpr std::uint32_t FATTR_LOCKOWNER = 1u << 9;
inline constexpr std::uint32_t FATTR_CTIME = 1u << 10;

}  // namespace wbsim::model
