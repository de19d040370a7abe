//! Pin: include/linux/netfs.h at 295797575629 (gregkh/linux, 2026; docs/fidelity.md).
//! The netfs write request, after include/linux/netfs.h.
//!
//! A write request (wreq) overlays the folios it writes with up to two
//! streams of subrequests: stream 0 uploads to the server, stream 1 writes to
//! the local cache. Subrequests need not align between streams, may span
//! folios or split one, and within a stream are issued in ascending order:
//!
//!               +---+---+-----+-----+---+----------+
//!    Folios:    |   |   |     |     |   |          |
//!               +---+---+-----+-----+---+----------+
//!                 +------+------+     +----+----+
//!    Upload:      |      |      |.....|    |    |
//!  (Stream 0)     +------+------+     +----+----+
//!               +------+------+------+------+------+
//!    Cache:     |      |      |      |      |      |
//!  (Stream 1)   +------+------+------+------+------+
//!
//! The model keeps the kernel's names and fields. Its rolling buffer is the
//! kernel's chain of folio_queue segments (rolling_buffer.h); a subrequest's
//! io_iter is the byte range it covers, resolved through the buffer's live
//! segments (or the request's own bytes for unbuffered writes) when it is
//! issued.
#pragma once

#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <vector>

#include "model/mm/mempool.h"
#include "model/mm/page_writeback.h"
#include "model/netfs/rolling_buffer.h"
#include "sim/mutex.h"
#include "sim/rwsem.h"
#include "sim/waitqueue.h"
#include "sim/workqueue.h"

namespace wbsim::model {

enum class NetfsIoOrigin : std::uint8_t {
  writeback,
  writethrough,
  unbuffered_write,
  dio_write,
  writeback_single,
  unbuffered_read,  // NETFS_UNBUFFERED_READ (model/netfs/direct_read.cpp)
  dio_read,         // NETFS_DIO_READ
};
enum class NetfsIoSource : std::uint8_t { upload_to_server, write_to_cache, download_from_server };

inline constexpr int NR_IO_STREAMS = 2;

// struct netfs_group: a write group (Ceph snap context).
struct NetfsGroup {
  int ref = 1;
  std::uint32_t id = 0;
};

// Counts the netfs_folio records alive on this thread (constructed and not
// yet destroyed), as kmemleak sees kmalloc'd objects: refcount's leak check
// compares it with the records attached to folios (netfs_folio_infos_unfreed).
struct NetfsFolioAlive {
  NetfsFolioAlive();
  NetfsFolioAlive(const NetfsFolioAlive&);
  NetfsFolioAlive& operator=(const NetfsFolioAlive&) = default;
  ~NetfsFolioAlive();
};

// struct netfs_folio: streaming-write record on a dirty, not-uptodate folio.
struct NetfsFolio {
  NetfsGroup* netfs_group = nullptr;
  std::uint32_t dirty_offset = 0;
  std::uint32_t dirty_len = 0;
  [[no_unique_address]] NetfsFolioAlive alive;
};

// Subrequest flags (NETFS_SREQ_*).
enum NetfsSreqFlag : unsigned {
  NETFS_SREQ_BOUNDARY = 6,
  NETFS_SREQ_HIT_EOF = 7,  // a read was short because it reached EOF
  NETFS_SREQ_IN_PROGRESS = 8,
  NETFS_SREQ_NEED_RETRY = 9,
  NETFS_SREQ_FAILED = 11,
  NETFS_SREQ_MADE_PROGRESS = 12,
};

// Inode flags (NETFS_ICTX_*); UNBUFFERED is NetfsInode::unbuffered.
enum NetfsIctxFlag : unsigned {
  NETFS_ICTX_ODIRECT = 0,  // the file has DIO in progress
};

// Request flags (NETFS_RREQ_*).
enum NetfsRreqFlag : unsigned {
  NETFS_RREQ_IN_PROGRESS = 0,
  NETFS_RREQ_FAILED = 4,
  NETFS_RREQ_UPLOAD_TO_SERVER = 8,
  NETFS_RREQ_PAUSE = 11,
  NETFS_RREQ_ALL_QUEUED = 13,
  NETFS_RREQ_RETRYING = 15,  // the collector is quiescing the streams for a retry
  NETFS_RREQ_SHORT_TRANSFER = 16,  // a read's subrequest came back short
};

struct NetfsIoRequest;
struct NetfsIoStream;
struct NetfsInode;
struct Kiocb;

struct NetfsIoSubrequest {
  NetfsIoRequest* rreq = nullptr;
  std::uint32_t debug_index = 0;
  std::uint8_t stream_nr = 0;
  NetfsIoSource source = NetfsIoSource::upload_to_server;
  loff_t start = 0;
  std::uint64_t len = 0;
  std::uint64_t transferred = 0;
  int error = 0;
  unsigned nr_segs = 0;
  unsigned retry_count = 0;
  sim::FlagsWord flags = 0;
  int ref = 1;
  // The byte range of the source buffer this subrequest sends (io_iter).
  loff_t io_iter_start = 0;
  std::uint64_t io_iter_count = 0;
  // Filesystem-private: credits held for this subrequest (cifs).
  std::uint64_t credits = 0;
  bool test(NetfsSreqFlag f) const { return sim::test_bit(f, flags); }
};

using PrepareWriteFn = void (*)(NetfsIoSubrequest& subreq);
using IssueWriteFn = void (*)(NetfsIoSubrequest& subreq);

struct NetfsIoStream {
  std::uint8_t stream_nr = 0;
  NetfsIoSource source = NetfsIoSource::upload_to_server;
  bool avail = false;   // the stream may be used
  bool active = false;  // the stream has had a subrequest
  bool need_retry = false;
  bool failed = false;
  int error = 0;
  std::list<NetfsIoSubrequest*> subrequests;  // ascending; front is collected first
  NetfsIoSubrequest* construct = nullptr;     // being built by the issuer
  std::uint64_t submit_off = 0;
  std::uint64_t submit_len = 0;
  std::uint64_t submit_extendable_to = 0;
  std::uint64_t sreq_max_len = 0;
  std::uint64_t sreq_max_segs = 0;
  // Harness bookkeeping: the largest span netfs_retry_write_stream() has
  // re-split (what it set sreq_max_len to) since the issuer prepared its
  // subrequest under construction, for finding F14's shape: that
  // subrequest can grow to any of them.
  std::uint64_t retry_resplit_span = 0;
  loff_t collected_to = 0;
  std::uint64_t transferred = 0;
  bool transferred_valid = false;
  PrepareWriteFn prepare_write = nullptr;
  IssueWriteFn issue_write = nullptr;

  NetfsIoSubrequest* front() const { return subrequests.empty() ? nullptr : subrequests.front(); }
};

struct NetfsIoRequest {
  std::uint32_t debug_id = 0;
  NetfsIoOrigin origin = NetfsIoOrigin::writeback;
  NetfsInode* inode = nullptr;
  AddressSpace* mapping = nullptr;
  NetfsIoStream io_streams[NR_IO_STREAMS];
  // The filesystem's per-request state (netfs_priv-like): set when its
  // ->begin_writeback took a reference on its open file (cifs: req->cfile),
  // which its ->free_request puts.
  bool fs_file_ref = false;
  // afs's key for the request's RPCs (netfs_priv, a struct key *; 0 is
  // NULL) and the writeback-key record it came from (netfs_priv2, a struct
  // afs_wb_key *: here its index in the file's list plus one; 0 is NULL).
  std::uint32_t netfs_priv = 0;
  std::uint32_t netfs_priv2 = 0;
  NetfsGroup* group = nullptr;
  std::uint64_t wsize = 0;
  loff_t start = 0;
  std::uint64_t len = 0;
  std::uint64_t submitted = 0;  // writethrough: what has been handed to netfs_write_folio
  std::uint64_t transferred = 0;
  int error = 0;
  loff_t i_size = 0;
  loff_t issued_to = 0;
  loff_t collected_to = 0;
  loff_t cleaned_to = 0;
  int nr_group_rel = 0;
  sim::FlagsWord flags = 0;
  int ref = 1;
  std::uint32_t subreq_counter = 0;
  std::unique_ptr<sim::Spinlock> lock;
  std::unique_ptr<sim::Work> work;  // the collector
  // NETFS_RREQ_OFFLOAD_COLLECTION: collect on the workqueue; clear for a
  // synchronous unbuffered write, whose caller collects in its own thread
  // while it waits (netfs_collect_in_app), woken through waitq.
  bool offload_collection = true;
  std::unique_ptr<sim::WaitQueue> waitq;
  RollingBuffer buffer;             // the rolling buffer: folios in issue order
  std::vector<std::uint8_t> bounce; // unbuffered writes: the caller's bytes from `start`
  // Unbuffered writes: wreq->buffer.iter over those bytes, as a position in
  // file coordinates (start + consumed) and the count left.
  Kiocb* iocb = nullptr;  // an asynchronous caller to complete (ki_complete)
  loff_t buffer_iter_pos = 0;
  std::uint64_t buffer_iter_count = 0;
  void buffer_iter_advance(std::uint64_t n) {  // iov_iter_advance(&wreq->buffer.iter, n)
    n = n < buffer_iter_count ? n : buffer_iter_count;
    buffer_iter_pos += static_cast<loff_t>(n);
    buffer_iter_count -= n;
  }
  std::vector<std::unique_ptr<NetfsIoSubrequest>> all_subreqs;  // ownership
  // Content encryption (the seed design's asynchronous crypto stage): folios
  // are encrypted in issue order by a work item; a prepared subrequest whose
  // range is not yet encrypted is stalled until the crypto catches up.
  bool crypto = false;
  loff_t crypto_to = 0;                                      // encrypted up to here
  std::deque<Folio*> crypto_queue;                           // appended, not yet encrypted
  std::map<loff_t, std::vector<std::uint8_t>> crypto_buffer; // ciphertext by folio position
  std::deque<NetfsIoSubrequest*> crypto_stalled;             // prepared, waiting for crypto
  std::unique_ptr<sim::Work> crypto_work;
  bool test(NetfsRreqFlag f) const { return sim::test_bit(f, flags); }
};

// Filesystem operations (struct netfs_request_ops, the write half).
struct NetfsRequestOps {
  void (*init_request)(NetfsIoRequest& wreq) = nullptr;  // at allocation (may set wsize)
  void (*begin_writeback)(NetfsIoRequest& wreq) = nullptr;
  PrepareWriteFn prepare_write = nullptr;
  IssueWriteFn issue_write = nullptr;
  void (*retry_request)(NetfsIoRequest& wreq, NetfsIoStream& stream) = nullptr;
  void (*invalidate_cache)(NetfsIoRequest& wreq) = nullptr;
  // ->issue_read, reduced to a synchronous read of [pos, pos + len) from the
  // server (the model's read path has no read requests; docs/model.md).
  std::vector<std::uint8_t> (*issue_read)(NetfsInode& ictx, loff_t pos, std::uint64_t len) = nullptr;
  // ->prepare_read for an unbuffered read's subrequest: may shorten it (the
  // filesystem's rsize) through the stream's sreq_max_len.
  void (*prepare_read)(NetfsIoSubrequest& subreq) = nullptr;
  // The size change the filesystem's ->setattr sends (not a netfs op; the
  // model's truncate calls it so netfs code never names the server).
  void (*setattr_size)(NetfsInode& ictx, loff_t size) = nullptr;
  // ->free_request, from netfs_free_request: the filesystem drops what it
  // holds for the request.
  void (*free_request)(NetfsIoRequest& wreq) = nullptr;
};

// Cache resources for a write (fscache_begin_write_operation's result).
struct NetfsCacheOps {
  PrepareWriteFn prepare_write_subreq = nullptr;
  IssueWriteFn issue_write = nullptr;
};

// struct netfs_inode plus the VFS inode fields the write path uses.
struct NetfsInode {
  AddressSpace mapping;
  std::uint32_t ino = 0;  // the World's file number (the server's file id)
  loff_t i_size = 0;
  loff_t remote_i_size = 0;
  loff_t zero_point = 0;
  std::unique_ptr<sim::Mutex> wb_lock;  // serialises writeback and writethrough
  // The inode lock, in the modes of locking.c: buffered reads share it with
  // each other and with direct I/O's and buffered writes' downgraded holds;
  // a buffered write takes it exclusive first (so writers exclude each
  // other), and switching between buffered and direct flips
  // NETFS_ICTX_ODIRECT under the exclusive hold. Truncate and the range
  // operations keep it exclusive.
  std::unique_ptr<sim::RwSem> i_rwsem;
  sim::FlagsWord flags = 0;  // NETFS_ICTX_*
  int i_dio_count = 0;  // inode_dio_begin/end: direct I/O in flight
  std::unique_ptr<sim::WaitQueue> i_dio_wq;  // __I_DIO_WAKEUP: woken as i_dio_count reaches 0
  // ictx->io_count: requests allocated and not yet freed (netfs_alloc_request
  // to netfs_free_request), what netfs_wait_for_outstanding_io() waits on.
  // The model's buffered reads allocate no request (docs/model.md), so they
  // are not counted. The waitqueue (wait_var_event's) is made at the first
  // wait, so a run that never waits has the objects it had before.
  int io_count = 0;
  std::unique_ptr<sim::WaitQueue> io_count_wq;
  const NetfsRequestOps* ops = nullptr;
  const NetfsCacheOps* cache_ops = nullptr;  // null: no cache
  bool cache_enabled = false;  // netfs_is_cache_enabled(): the cookie is bound to a cache and enabled
  // FSCACHE_COOKIE_IS_CACHING: a cache holds the cookie. A direct write
  // disables the cookie (FSCACHE_COOKIE_DISABLED) and leaves this; the
  // cache's withdrawal clears both.
  bool cache_is_caching = false;
  bool unbuffered = false;  // NETFS_ICTX_UNBUFFERED: every write goes unbuffered (9p cache=none)
  // Policy: as kernels before 70a7b9193bbb (May 2026), no streaming writes
  // through a file open for reading (docs/model.md).
  bool streaming_write_only_files = false;
  // Policy: F24's proposed fix (docs/findings.md): insert range drops the
  // page cache from the offset to the end of the file, so the folio holding
  // the old EOF goes instead of staying zeroed. Off in mainline; the fsx
  // transcript tests turn it on to compare past F24.
  bool insert_range_drops_to_eof = false;
  // Take wreq->group from the first folio (a group-aware filesystem such as
  // Ceph with snap contexts); otherwise wreq->group is null, as mainline's
  // netfs_writepages leaves it.
  bool writeback_groups = false;
  void* fs_private = nullptr;  // the filesystem's per-inode state
  std::uint32_t next_request_id = 1;
  // Scripted: the next netfs_create_write_req() calls fail with -ENOMEM.
  // Not a swarm fault: the kernel then cleans the folios without writing
  // them (netfs_kill_dirty_pages) and only the writepages caller sees the
  // error, so under background writeback the data is lost unreported; that
  // is outside what the engine is contracted to survive.
  int fail_create_write_req = 0;
  // Content encryption of buffered writeback (off by default).
  bool content_crypto = false;
  sim::Time crypto_ns_per_page = 20 * sim::kUs;
  sim::Workqueue* crypto_wq = nullptr;
  std::vector<std::unique_ptr<NetfsIoRequest>> requests;  // ownership (kept for checkers)
  sim::Workqueue* collector_wq = nullptr;  // system_unbound_wq
  Mempool* request_pool = nullptr;         // netfs_request_pool
  Mempool* subrequest_pool = nullptr;      // netfs_subrequest_pool
};

// netfs_write_zero_point() (include/linux/netfs.h): zero_point takes a new
// value, traced (ZPNT).
void netfs_write_zero_point(NetfsInode& ctx, loff_t value);

// netfs_resize_file() (include/linux/netfs.h): the filesystem learnt the
// file's new size, on the server too if changed_on_server; nothing past it
// can hold data, so zero_point comes down to it.
void netfs_resize_file(NetfsInode& ctx, loff_t new_i_size, bool changed_on_server);
// netfs_wait_for_outstanding_io() (include/linux/netfs.h): wait_var_event()
// until io_count is 0.
void netfs_wait_for_outstanding_io(NetfsInode& ctx);

// The model's stand-in cipher: a position-dependent permutation of the bytes
// 1..255 that keeps 0 as 0, so a server hole (zeros) still reads as zeros
// after decryption, as fscrypt treats holes; any other byte changes, so a
// missed encryption or decryption shows.
inline std::uint8_t netfs_crypt_key(loff_t pos) { return static_cast<std::uint8_t>(1 + (pos * 13 + 0x5a) % 254); }
inline std::uint8_t netfs_encrypt_byte(std::uint8_t b, loff_t pos) {
  return b == 0 ? 0 : static_cast<std::uint8_t>((b - 1 + netfs_crypt_key(pos)) % 255 + 1);
}
inline std::uint8_t netfs_decrypt_byte(std::uint8_t c, loff_t pos) {
  return c == 0 ? 0 : static_cast<std::uint8_t>((c - 1 + 255 - netfs_crypt_key(pos)) % 255 + 1);
}

// folio->private decoding (include/linux/netfs.h).
NetfsGroup* netfs_folio_group(const Folio& folio);
NetfsFolio* netfs_folio_info(const Folio& folio);

inline NetfsInode& netfs_inode(AddressSpace& mapping) { return *static_cast<NetfsInode*>(mapping.host); }

}  // namespace wbsim::model
