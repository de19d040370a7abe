#include "model/backend/rfs.h"

#include <algorithm>
#include <utility>

#include "model/events.h"
#include "model/netfs/internal.h"
#include "sim/assert.h"
#include "sim/fault.h"
#include "sim/bitwait.h"
#include "sim/coverage.h"
#include "sim/known_finding.h"

namespace wbsim::model {

WBSIM_MARK_IN(kMarkRfsKeyRotated, "rfs.key_rotated", "netfs/writeback_key_rotation",
              "a writeback request moved to the next writer's key after the server refused one");
// Writeback that never ends is a deadlock when nothing else runs, and a
// livelock when the flusher's periodic wake-ups keep virtual time moving.
WBSIM_KNOWN_FINDING(kFindingKeysExhausted, "afs-writeback-keys-exhausted", "deadlock,livelock,error-propagation",
                    "netfs/writeback_keys_exhausted*",
                    "afs_retry_request() fails the upload stream with no error when no writeback key is left: "
                    "nothing reissued wakes the collector again (writeback never ends), or a later subrequest does "
                    "and the stream is cancelled with nothing recorded (fsync returns 0)");

namespace {

constexpr std::uint64_t kMaxRwCount = 0x7ffff000;  // MAX_RW_COUNT: INT_MAX & PAGE_MASK
constexpr int kBioMaxVecs = 256;                    // BIO_MAX_VECS

RfsInode& rfs_of(NetfsIoSubrequest& subreq) { return rfs_inode(*subreq.rreq->inode); }
std::uint64_t credit_key(const NetfsIoSubrequest& subreq) {
  return std::uint64_t{subreq.rreq->debug_id} << 32 | subreq.debug_index;
}

// ->init_request: the write size the server negotiated (as 9p sets wsize
// from the fid's iounit when a request is made), and, as afs_init_request(),
// the open file's key (the model's files all carry the first writer's).
void rfs_init_request(NetfsIoRequest& wreq) {
  RfsInode& rfs = rfs_inode(*wreq.inode);
  wreq.wsize = rfs.server->wsize();
  wreq.netfs_priv = rfs.wb_keys.front();
}

// afs_get_writeback_key(): the key after the record the request used last
// (the first key if none), skipping none (key_validate() is local and every
// modelled key is valid here); netfs_priv is NULL when the list is spent.
void afs_get_writeback_key(NetfsIoRequest& wreq) {
  const RfsInode& rfs = rfs_inode(*wreq.inode);
  const std::uint32_t old = wreq.netfs_priv2;
  wreq.netfs_priv = 0;
  wreq.netfs_priv2 = 0;
  // Records are numbered from 1 (0 is NULL): the one after record `old` is
  // at index `old`, the first at index 0.
  const std::size_t next = old;
  if (next < rfs.wb_keys.size()) {
    wreq.netfs_priv = rfs.wb_keys[next];
    wreq.netfs_priv2 = static_cast<std::uint32_t>(next + 1);
  }
  if (old != 0 && wreq.netfs_priv != 0) sim::mark(kMarkRfsKeyRotated);
}

bool key_refused(int error) { return error == kEACCES; }

void rfs_begin_writeback(NetfsIoRequest& wreq) {
  afs_get_writeback_key(wreq);
  // The writable file for the request's uploads, put by ->free_request once:
  // netfs calls this once per request (NETFS_RREQ_UPLOAD_TO_SERVER).
  ++rfs_inode(*wreq.inode).writeback_file_refs;
  wreq.fs_file_ref = true;
  wreq.io_streams[0].avail = true;
  wreq.wsize = rfs_inode(*wreq.inode).server->wsize();
}

void rfs_prepare_write(NetfsIoSubrequest& subreq) {
  RfsInode& rfs = rfs_of(subreq);
  NetfsIoStream& stream = subreq.rreq->io_streams[subreq.stream_nr];
  if (rfs.fail_next_prepare != 0) {
    // cifs_prepare_write(): the handle could not be reopened, so the server
    // refuses the file's writes from here (announced as a refusal of them).
    subreq.error = std::exchange(rfs.fail_next_prepare, 0);
    MODEL_EVENT(server_write_refused(rfs.file_id, subreq.start, UINT64_MAX - static_cast<std::uint64_t>(subreq.start),
                                     subreq.error));
    netfs_prepare_write_failed(subreq);
    return;
  }
  if (rfs.use_credits) {
    // cifs: wait for a send credit; this is where production is throttled.
    rfs.server->credits().down(1);
    subreq.credits = 1;
    rfs.credit_session[credit_key(subreq)] = rfs.server->session();
  }
  stream.sreq_max_len = std::min(stream.sreq_max_len, rfs.server->wsize());
}

void rfs_issue_write(NetfsIoSubrequest& subreq) {
  RfsInode& rfs = rfs_of(subreq);
  NetfsIoRequest& wreq = *subreq.rreq;
  SIM_ASSERT_CMP(subreq.io_iter_count, >, 0u);
  // cifs_issue_write(): adjust_credits() refuses credits granted before a
  // reconnect (-EAGAIN: the retry prepares the subrequest again, at the
  // renegotiated wsize), so nothing prepared for the old wsize is sent.
  if (subreq.credits != 0) {
    const auto granted = rfs.credit_session.find(credit_key(subreq));
    const bool stale = granted != rfs.credit_session.end() && granted->second != rfs.server->session();
    if (granted != rfs.credit_session.end()) rfs.credit_session.erase(granted);
    if (stale) {
      rfs.server->credits().up(subreq.credits);
      subreq.credits = 0;
      sim::set_bit(NETFS_SREQ_NEED_RETRY, subreq.flags);
      netfs_write_subrequest_terminated(subreq, kEAGAIN);
      return;
    }
  }
  auto bytes = netfs_extract_iter(wreq, subreq.io_iter_start, subreq.io_iter_count);
  const loff_t pos = subreq.start + static_cast<loff_t>(subreq.transferred);
  rfs.server->write_async(rfs.file_id, pos, std::move(bytes), [&subreq, &rfs](std::int64_t r) {
    if (subreq.credits != 0) {
      rfs.server->credits().up(subreq.credits);
      subreq.credits = 0;
    }
    // cifs_write_subrequest_terminated(): an unbuffered write's data moves
    // zero_point up to its end, and the server now holds the file up to the
    // end of what it stored.
    if (r > 0) {
      NetfsInode& ictx = *subreq.rreq->inode;
      const loff_t wrend = subreq.start + static_cast<loff_t>(subreq.transferred) + r;
      const NetfsIoOrigin origin = subreq.rreq->origin;
      const bool unbuffered = origin == NetfsIoOrigin::unbuffered_write || origin == NetfsIoOrigin::dio_write;
      if (wrend > ictx.zero_point && unbuffered) netfs_write_zero_point(ictx, wrend);
      if (wrend > ictx.remote_i_size) netfs_resize_file(ictx, wrend, true);
    }
    if (r == kEAGAIN) sim::set_bit(NETFS_SREQ_NEED_RETRY, subreq.flags);
    // afs_issue_write_worker(): if there are more keys we can try, the retry
    // algorithm rotates them.
    if (key_refused(static_cast<int>(r)) && subreq.rreq->netfs_priv2 != 0)
      sim::set_bit(NETFS_SREQ_NEED_RETRY, subreq.flags);
    netfs_write_subrequest_terminated(subreq, r);
  }, static_cast<std::uint32_t>(subreq.credits), wreq.netfs_priv);
}

void rfs_retry_request(NetfsIoRequest& wreq, NetfsIoStream& stream) {
  RemoteServer& server = *rfs_inode(*wreq.inode).server;
  server.maybe_shrink_wsize();
  wreq.wsize = server.wsize();
  // afs_retry_request(): rotate the writeback key if the stream's first
  // subrequest was refused for its key. With none left the stream is marked
  // failed and no error is recorded. netfs_retry_writes() has waited for
  // every subrequest, so unless the issuer is still adding some, nothing
  // will wake the collector again: writeback of the request's folios never
  // ends. If a later subrequest does end, the collector cancels the stream
  // with no error on the mapping (docs/findings.md F20).
  const NetfsIoSubrequest* front = stream.front();
  if (front == nullptr || !key_refused(front->error)) return;
  afs_get_writeback_key(wreq);
  if (wreq.netfs_priv == 0) {
    sim::known_finding_reached(kFindingKeysExhausted);
    stream.failed = true;
  }
}

std::vector<std::uint8_t> rfs_issue_read(NetfsInode& ictx, loff_t pos, std::uint64_t len) {
  RfsInode& rfs = rfs_inode(ictx);
  return rfs.server->read(rfs.file_id, pos, len);
}

// ->prepare_read: the server's negotiated I/O size bounds reads as writes
// (9p's msize bounds both).
void rfs_prepare_read(NetfsIoSubrequest& subreq) {
  NetfsIoStream& stream = subreq.rreq->io_streams[0];
  stream.sreq_max_len = std::min(stream.sreq_max_len, rfs_of(subreq).server->wsize());
}

void rfs_free_request(NetfsIoRequest& wreq) {
  if (wreq.fs_file_ref) --rfs_inode(*wreq.inode).writeback_file_refs;
}

void rfs_setattr_size(NetfsInode& ictx, loff_t size) {
  RfsInode& rfs = rfs_inode(ictx);
  rfs.server->truncate(rfs.file_id, size);
}

void rfs_invalidate_cache(NetfsIoRequest& wreq) {
  RfsInode& rfs = rfs_inode(*wreq.inode);
  rfs.cache->invalidate(rfs.file_id);
  if (rfs.cache->withdrawn()) wreq.inode->cache_enabled = wreq.inode->cache_is_caching = false;
}

// cachefiles_prepare_write_subreq(): a cache write is at most MAX_RW_COUNT
// bytes in BIO_MAX_VECS segments (folios).
void rfs_cache_prepare_write(NetfsIoSubrequest& subreq) {
  RfsInode& rfs = rfs_of(subreq);
  NetfsIoStream& stream = subreq.rreq->io_streams[subreq.stream_nr];
  stream.sreq_max_len = kMaxRwCount;
  stream.sreq_max_segs = kBioMaxVecs;
  if (rfs.cache->withdrawn()) {
    subreq.error = kENOBUFS;
    netfs_prepare_write_failed(subreq);
  }
}

void rfs_cache_issue_write(NetfsIoSubrequest& subreq) {
  RfsInode& rfs = rfs_of(subreq);
  auto bytes = netfs_extract_iter(*subreq.rreq, subreq.io_iter_start, subreq.io_iter_count);
  rfs.cache->write_async(rfs.file_id, subreq.start + static_cast<loff_t>(subreq.transferred), std::move(bytes),
                         [&subreq](std::int64_t r) { netfs_write_subrequest_terminated(subreq, r); });
}

}  // namespace

const NetfsRequestOps kRfsRequestOps = {
    .init_request = rfs_init_request,
    .begin_writeback = rfs_begin_writeback,
    .prepare_write = rfs_prepare_write,
    .issue_write = rfs_issue_write,
    .retry_request = rfs_retry_request,
    .invalidate_cache = rfs_invalidate_cache,
    .issue_read = rfs_issue_read,
    .prepare_read = rfs_prepare_read,
    .setattr_size = rfs_setattr_size,
    .free_request = rfs_free_request,
};

const NetfsRequestOps kRfsRequestOpsNoPrepare = {
    .init_request = rfs_init_request,
    .begin_writeback = rfs_begin_writeback,
    .prepare_write = nullptr,
    .issue_write = rfs_issue_write,
    .retry_request = rfs_retry_request,
    .invalidate_cache = rfs_invalidate_cache,
    .issue_read = rfs_issue_read,
    .prepare_read = rfs_prepare_read,
    .setattr_size = rfs_setattr_size,
    .free_request = rfs_free_request,
};

const NetfsCacheOps kRfsCacheOps = {
    .prepare_write_subreq = rfs_cache_prepare_write,
    .issue_write = rfs_cache_issue_write,
};

}  // namespace wbsim::model
