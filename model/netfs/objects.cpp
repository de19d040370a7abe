// Pin: fs/netfs/objects.c at b5dbb53c888e (gregkh/linux, 2026; docs/fidelity.md).
// Request and subrequest lifetimes (fs/netfs/objects.c) and folio->private
// decoding (include/linux/netfs.h).
#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "model/netfs/internal.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/known_finding.h"
#include "sim/scheduler.h"

namespace wbsim::model {

WBSIM_KNOWN_FINDING(kFindingRetryWaitsForConstruct, "netfs-retry-waits-for-construct-mempool", "liveness,deadlock",
                    "mm/mempool_reserve_drained",
                    "the issuer waits in mempool_alloc for a subrequest only the collector frees, while the "
                    "collector's netfs_retry_writes waits for the cache stream's construct only the issuer sends");

NetfsIoRequest& netfs_alloc_request(NetfsInode& ictx, loff_t start, std::uint64_t len, NetfsIoOrigin origin) {
  // mempool_alloc(&netfs_request_pool, GFP_KERNEL): may reclaim and wait,
  // never fails in process context (the reserve is waited for).
  if (ictx.request_pool != nullptr) {
    const bool got = mempool_alloc(*ictx.request_pool, GFP_KERNEL);
    SIM_ASSERT_MSG(got, "mempool_alloc(netfs_request_pool, GFP_KERNEL) failed");
  }
  auto owned = std::make_unique<NetfsIoRequest>();
  NetfsIoRequest& wreq = *owned;
  ictx.requests.push_back(std::move(owned));
  wreq.debug_id = ictx.next_request_id++;
  wreq.origin = origin;
  wreq.inode = &ictx;
  wreq.mapping = &ictx.mapping;
  wreq.start = start;
  wreq.len = len;
  wreq.i_size = ictx.i_size;
  wreq.issued_to = start;
  wreq.collected_to = start;
  wreq.cleaned_to = start;
  wreq.lock = std::make_unique<sim::Spinlock>(fmt::format("R={:08x}.lock", wreq.debug_id));
  wreq.work = std::make_unique<sim::Work>(fmt::format("R={:08x}.collect", wreq.debug_id),
                                          [&wreq] { netfs_write_collection_worker(wreq); });
  wreq.waitq = std::make_unique<sim::WaitQueue>(fmt::format("R={:08x}.waitq", wreq.debug_id));
  // One reference for the caller, one that NETFS_RREQ_IN_PROGRESS owns and
  // whoever completes the request drops.
  wreq.ref = 2;
  wreq.wsize = INT_MAX;
  if (ictx.ops != nullptr && ictx.ops->init_request != nullptr) ictx.ops->init_request(wreq);
  sim::set_bit(NETFS_RREQ_IN_PROGRESS, wreq.flags);
  ++ictx.io_count;
  sim::Scheduler::current().trace(static_cast<std::uint16_t>(Ev::wreq_alloc), sim::kNoObject, wreq.debug_id,
                                  static_cast<std::uint64_t>(origin));
  return wreq;
}

void netfs_note_retry_vs_drained_pool(const NetfsIoRequest& wreq) {
  if (wreq.test(NETFS_RREQ_RETRYING) && wreq.inode->subrequest_pool != nullptr &&
      wreq.inode->subrequest_pool->curr_nr == 0 &&
      std::any_of(std::begin(wreq.io_streams), std::end(wreq.io_streams), [](const NetfsIoStream& st) {
        return st.construct != nullptr && st.construct->test(NETFS_SREQ_IN_PROGRESS);
      }))
    sim::known_finding_reached(kFindingRetryWaitsForConstruct);
}

NetfsIoSubrequest& netfs_alloc_subrequest(NetfsIoRequest& wreq) {
  if (wreq.inode->subrequest_pool != nullptr) {
    // docs/findings.md F19: the reserve is gone while the collector, in
    // netfs_retry_writes(), waits for a stream's construct that only this
    // issuer can send. The element this allocation may wait for comes back
    // only when the collector frees a subrequest.
    netfs_note_retry_vs_drained_pool(wreq);
    const bool got = mempool_alloc(*wreq.inode->subrequest_pool, GFP_KERNEL);  // never fails, as above
    SIM_ASSERT_MSG(got, "mempool_alloc(netfs_subrequest_pool, GFP_KERNEL) failed");
  }
  auto owned = std::make_unique<NetfsIoSubrequest>();
  NetfsIoSubrequest& s = *owned;
  wreq.all_subreqs.push_back(std::move(owned));
  s.rreq = &wreq;
  s.debug_index = ++wreq.subreq_counter;
  // Two references, as netfs_alloc_subrequest() sets: one dropped when the
  // I/O terminates, one when the collector takes it off the stream's list.
  s.ref = 2;
  netfs_get_request(wreq);  // a subrequest pins its request
  return s;
}

void netfs_get_request(NetfsIoRequest& wreq) {
  SIM_ASSERT_CMP(wreq.ref, >, 0);
  ++wreq.ref;
}

void netfs_put_request(NetfsIoRequest& wreq) {
  SIM_ASSERT_MSG(wreq.ref > 0, "R={:08x}: put of a request with no references", wreq.debug_id);
  // netfs_free_request: the memory goes back to the pool (the object is
  // kept for the checkers).
  if (--wreq.ref != 0) return;
  if (wreq.inode->ops->free_request != nullptr) wreq.inode->ops->free_request(wreq);
  // netfs_free_request: rolling_buffer_clear() puts the folios appended with
  // NETFS_ROLLBUF_PUT_MARK (a single-object writeback's payload) and frees
  // the segments.
  rolling_buffer_clear(wreq.buffer);
  // netfs_deinit_request(), which the kernel runs from a work item queued by
  // the last put; the model frees in the put itself.
  NetfsInode& ictx = *wreq.inode;
  SIM_ASSERT_CMP(ictx.io_count, >, 0);
  if (--ictx.io_count == 0 && ictx.io_count_wq != nullptr) ictx.io_count_wq->wake_up();  // wake_up_var()
  if (wreq.inode->request_pool != nullptr) mempool_free(*wreq.inode->request_pool);
}

void netfs_clear_subrequests(NetfsIoRequest& wreq) {
  for (NetfsIoStream& stream : wreq.io_streams) {
    while (!stream.subrequests.empty()) {
      NetfsIoSubrequest* subreq = stream.subrequests.front();
      stream.subrequests.pop_front();
      netfs_put_subrequest(*subreq);  // netfs_sreq_trace_put_clear
    }
  }
}

void netfs_get_subrequest(NetfsIoSubrequest& subreq) {
  SIM_ASSERT_CMP(subreq.ref, >, 0);
  ++subreq.ref;
}

void netfs_put_subrequest(NetfsIoSubrequest& subreq) {
  SIM_ASSERT_MSG(subreq.ref > 0, "R={:08x}[{:x}]: put of a subrequest with no references", subreq.rreq->debug_id,
                 subreq.debug_index);
  if (--subreq.ref == 0) {
    NetfsIoRequest& wreq = *subreq.rreq;
    if (wreq.inode->subrequest_pool != nullptr) mempool_free(*wreq.inode->subrequest_pool);
    netfs_put_request(wreq);
  }
}

namespace {

constexpr unsigned char kPoisonFree = 0x6b;  // POISON_FREE
thread_local std::vector<std::unique_ptr<NetfsFolio>> t_freed_folio_infos;
thread_local std::int64_t t_folio_infos_alive = 0;

bool poisoned(const void* p) {
  std::uintptr_t poison = 0;
  std::memset(&poison, kPoisonFree, sizeof poison);
  return reinterpret_cast<std::uintptr_t>(p) == poison;
}

}  // namespace

void netfs_free_folio_info(NetfsFolio* finfo) {
  std::memset(static_cast<void*>(finfo), kPoisonFree, sizeof *finfo);
  t_freed_folio_infos.emplace_back(finfo);
}

void netfs_release_freed_folio_infos() { t_freed_folio_infos.clear(); }

NetfsFolioAlive::NetfsFolioAlive() { ++t_folio_infos_alive; }
NetfsFolioAlive::NetfsFolioAlive(const NetfsFolioAlive&) { ++t_folio_infos_alive; }
NetfsFolioAlive::~NetfsFolioAlive() { --t_folio_infos_alive; }

std::int64_t netfs_folio_infos_unfreed() {
  return t_folio_infos_alive - static_cast<std::int64_t>(t_freed_folio_infos.size());
}

void netfs_put_group(NetfsGroup* group) {
  if (group == nullptr) return;
  SIM_ASSERT_MSG(!poisoned(group), "a group read from a freed netfs_folio record is put (use after free)");
  SIM_ASSERT_CMP(group->ref, >, 0);
  --group->ref;
}

void netfs_put_group_many(NetfsGroup* group, int nr) {
  if (group == nullptr || nr == 0) return;
  SIM_ASSERT_MSG(!poisoned(group), "a group read from a freed netfs_folio record is put (use after free)");
  SIM_ASSERT_CMP(group->ref, >=, nr);
  group->ref -= nr;
}

NetfsGroup* netfs_folio_group(const Folio& folio) {
  switch (folio.priv.kind) {
    case FolioPrivate::Kind::streaming: return folio.priv.finfo->netfs_group;
    case FolioPrivate::Kind::group: return folio.priv.group;
    default: return nullptr;
  }
}

NetfsFolio* netfs_folio_info(const Folio& folio) {
  return folio.priv.kind == FolioPrivate::Kind::streaming ? folio.priv.finfo : nullptr;
}

std::vector<std::uint8_t> netfs_extract_iter(const NetfsIoRequest& wreq, loff_t pos, std::uint64_t len) {
  std::vector<std::uint8_t> out(len, 0);
  if (wreq.origin == NetfsIoOrigin::unbuffered_write || wreq.origin == NetfsIoOrigin::dio_write) {
    const loff_t off = pos - wreq.start;
    SIM_ASSERT(off >= 0 && static_cast<std::uint64_t>(off) + len <= wreq.bounce.size());
    std::memcpy(out.data(), wreq.bounce.data() + off, len);
    return out;
  }
  std::uint64_t done = 0;
  if (wreq.crypto) {
    // Ciphertext, by folio, from the crypto stage.
    for (const auto& [fpos, bytes] : wreq.crypto_buffer) {
      const loff_t fend = fpos + static_cast<loff_t>(bytes.size());
      const loff_t want = pos + static_cast<loff_t>(done);
      if (want >= fend) continue;
      SIM_ASSERT_MSG(want >= fpos, "R={:08x}: ciphertext for {} missing", wreq.debug_id, want);
      const std::uint64_t n = std::min<std::uint64_t>(len - done, static_cast<std::uint64_t>(fend - want));
      std::memcpy(out.data() + done, bytes.data() + (want - fpos), n);
      done += n;
      if (done == len) break;
    }
    SIM_ASSERT_MSG(done == len, "R={:08x}: only {} of {} encrypted bytes at {}", wreq.debug_id, done, len, pos);
    return out;
  }
  // Resolve through the live segments: a byte whose folio the collector has
  // already cleared out of the buffer (or whose segment it freed) is not
  // there to send.
  while (done < len) {
    const loff_t want = pos + static_cast<loff_t>(done);
    const Folio* f = rolling_buffer_find(wreq.buffer, want);
    SIM_ASSERT_MSG(f != nullptr, "R={:08x}: bytes at {} are not in the rolling buffer (cleared or freed)",
                   wreq.debug_id, want);
    const loff_t fend = f->pos() + static_cast<loff_t>(f->size());
    const std::uint64_t n = std::min<std::uint64_t>(len - done, static_cast<std::uint64_t>(fend - want));
    std::memcpy(out.data() + done, f->data.data() + (want - f->pos()), n);
    done += n;
  }
  SIM_ASSERT_MSG(done == len, "R={:08x}: only {} of {} bytes at {} in the rolling buffer", wreq.debug_id, done, len,
                 pos);
  return out;
}

// As the kernel's: the iterator keeps its end and is advanced or reverted
// so that it covers the last `remain` bytes up to it. It is not recomputed
// from `start`: an iterator that started off the subrequest's start stays
// off by as much.
void netfs_reset_iter(NetfsIoSubrequest& subreq) {
  const std::uint64_t remain = subreq.len - subreq.transferred;
  const loff_t end = subreq.io_iter_start + static_cast<loff_t>(subreq.io_iter_count);
  subreq.io_iter_start = end - static_cast<loff_t>(remain);  // iov_iter_advance or iov_iter_revert
  subreq.io_iter_count = remain;                             // iov_iter_truncate
}

}  // namespace wbsim::model
