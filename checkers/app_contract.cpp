// app-contract: what a system call returns is what POSIX and Linux define,
// judged against what the call did and what the server refused.
//
// - A write returns the length of the contiguous prefix of its range it
//   stored (buffered: the bytes copied into the page cache) or transferred
//   (unbuffered: the bytes the server acknowledged for its request; it may
//   report fewer, never more, and not 0 for a non-empty prefix), and an
//   error only when that prefix is empty
//   (N10's lower bound). An asynchronous writethrough returns what its
//   request's ki_complete got: where its upload did not fail, at least what
//   the write stored.
// - An I/O error that reaches the application is justified by a permanent
//   failure of data it covers: a write RPC of the file the server refused
//   with anything but -EAGAIN, or ->writepages cleaning dirty folios without
//   I/O because it failed before making a request. Errors the retry path
//   absorbs (-EAGAIN, a short write, a renegotiated wsize, the cache's
//   -ENOBUFS) never surface. Judged where the error reaches the
//   application: the error a request's collector records on the mapping
//   (which errseq reports at fsync and close: a permanent failure of one of
//   the file's RPCs since the request was made), a write's result and
//   fsync's (any permanent failure of the file before: a flush inside the
//   write reports AS_EIO for any range, and errseq an error a description
//   has not seen, however old).
// - fallocate and copy_file_range return 0 or an error, the error justified
//   as fsync's is.
// Errors that are not about the data (-EFAULT for the buffer, -ERESTARTSYS)
// are not judged. (Every buffer of the model is valid, so each -EFAULT is
// pinned finding F21's; `user.copy_short` makes it too common in sweeps to
// refuse here: netfs/write_efault_valid_buffer checks it.)
#include <algorithm>
#include <map>
#include <vector>

#include "checkers/checker.h"
#include "model/backend/rfs.h"
#include "model/errno.h"
#include "model/netfs/netfs.h"

namespace wbsim::checkers {

WBSIM_CHECKER(kAppContract, "app-contract",
              "a write returns its stored or transferred prefix; an error reaching the application is justified "
              "by a permanent failure (N10, issue 17)");

namespace {

bool judged_file(const model::NetfsInode& inode) {
  return inode.fs_private != nullptr && (inode.ops == &model::kRfsRequestOps || inode.ops == &model::kRfsRequestOpsNoPrepare);
}
std::uint32_t file_id_of(const model::NetfsInode& inode) {
  return static_cast<const model::RfsInode*>(inode.fs_private)->file_id;
}
bool about_the_data(std::int64_t err) {
  return err != model::kEFAULT && err != model::kERESTARTSYS && err != model::kEINTR && err != model::kEIOCBQUEUED;
}

const char* range_op_name(model::RangeOp op) {
  switch (op) {
    case model::RangeOp::allocate: return "fallocate";
    case model::RangeOp::punch_hole: return "FALLOC_FL_PUNCH_HOLE";
    case model::RangeOp::zero_range: return "FALLOC_FL_ZERO_RANGE";
    case model::RangeOp::collapse_range: return "FALLOC_FL_COLLAPSE_RANGE";
    case model::RangeOp::insert_range: return "FALLOC_FL_INSERT_RANGE";
    case model::RangeOp::copy_range: return "copy_file_range";
  }
  return "a range operation";
}

using Ranges = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

// The length of the run of `ranges` that starts at `pos` without a gap.
std::uint64_t contiguous_prefix(Ranges ranges, std::uint64_t pos) {
  std::sort(ranges.begin(), ranges.end());
  std::uint64_t end = pos;
  for (const auto& [from, to] : ranges) {
    if (from > end) break;
    end = std::max(end, to);
  }
  return end - pos;
}

class AppContract final : public Checker {
 public:
  // --- the failures that justify an error -------------------------------------
  void server_write_refused(std::uint32_t file_id, model::loff_t pos, std::uint64_t len, int error) override {
    if (error == model::kEAGAIN) {
      ++retriable_[file_id];
      return;
    }
    failures_[file_id].push_back({static_cast<std::uint64_t>(pos), static_cast<std::uint64_t>(pos) + len, ++seq_, error});
  }
  void writepages_returned(const model::AddressSpace& m, const model::WritebackControl& wbc, int ret) override {
    if (ret >= 0 || m.host_kind != model::AddressSpace::HostKind::netfs) return;
    const auto& inode = *static_cast<const model::NetfsInode*>(m.host);
    if (judged_file(inode)) failures_[file_id_of(inode)].push_back({0, UINT64_MAX, ++seq_, ret});
  }

  // --- requests ---------------------------------------------------------------
  void wreq_created(const model::NetfsIoRequest& wreq) override {
    created_[wreq_key(wreq)] = ++seq_;
    if (wreq.origin == model::NetfsIoOrigin::writethrough) writethrough_[wreq_key(wreq)] = current_fiber();
    if (wreq.origin == model::NetfsIoOrigin::unbuffered_write || wreq.origin == model::NetfsIoOrigin::dio_write)
      unbuffered_[current_fiber()] = wreq_key(wreq);
  }
  void subreq_terminated(const model::NetfsIoSubrequest& r) override {
    if (r.stream_nr != 0 || r.transferred == 0) return;
    const auto from = static_cast<std::uint64_t>(r.start);
    transferred_[wreq_key(*r.rreq)].emplace_back(from, from + r.transferred);
  }
  void collector_begin(const model::NetfsIoRequest& wreq) override { collecting_[current_fiber()] = &wreq; }
  void collector_end(const model::NetfsIoRequest& wreq) override { collecting_.erase(current_fiber()); }
  void wreq_done(const model::NetfsIoRequest& wreq) override {
    // An asynchronous writethrough (io_uring) completes with the request's
    // error or transferred count (ki_complete), which the model returns.
    if (const auto it = writethrough_.find(wreq_key(wreq)); it != writethrough_.end()) {
      const auto w = writes_.find(it->second);
      if (wreq.offload_collection && w != writes_.end()) {
        w->second.async_writethrough = true;
        w->second.upload_failed = wreq.io_streams[0].failed;
      }
      writethrough_.erase(it);
    }
    if (wreq.origin != model::NetfsIoOrigin::unbuffered_write && wreq.origin != model::NetfsIoOrigin::dio_write)
      transferred_.erase(wreq_key(wreq));
  }

  // --- what the application is told --------------------------------------------
  void mapping_error(const model::AddressSpace& m, int error) override {
    if (m.host_kind != model::AddressSpace::HostKind::netfs) return;
    const auto& inode = *static_cast<const model::NetfsInode*>(m.host);
    if (!judged_file(inode)) return;
    const auto it = collecting_.find(current_fiber());
    const model::NetfsIoRequest* wreq = it != collecting_.end() && it->second->inode == &inode ? it->second : nullptr;
    const std::uint64_t since = wreq != nullptr ? created_[wreq_key(*wreq)] : 0;
    WBSIM_CHECK(kAppContract, justified(inode, since, 0, UINT64_MAX, UINT64_MAX, error),
                "file {}: {} records {} on the mapping (fsync and close report it), but no write RPC of the file "
                "failed for good with it {} ({} refused with -EAGAIN, which the retry absorbs)",
                inode.ino, wreq != nullptr ? wreq_name(*wreq) : std::string("writeback"), error,
                wreq != nullptr ? "since the request was made" : "ever", retriable_[file_id_of(inode)]);
  }

  void fsync_returned(const model::NetfsInode& inode, int ret, model::loff_t start, model::loff_t end) override {
    if (ret >= 0 || !judged_file(inode)) return;
    not_interrupted(inode, "fsync", ret);
    if (!about_the_data(ret)) return;
    WBSIM_CHECK(kAppContract, justified(inode, 0, 0, UINT64_MAX, UINT64_MAX, ret),
                "file {}: fsync of {}..{} returned {}, but no write RPC of the file ever failed for good with it ({} "
                "refused with -EAGAIN, which the retry absorbs)",
                inode.ino, start, end, ret, retriable_[file_id_of(inode)]);
  }

  // fallocate and copy_file_range: 0 or -errno (the model's copy_file_range
  // copies all or nothing), and an error about the data only after a
  // permanent failure of the file (the flush before the operation reports
  // it, or the server, missing what failed, refuses the range).
  void range_op_returned(const model::NetfsInode& inode, model::RangeOp op, model::loff_t offset, std::uint64_t len,
                         int ret) override {
    if (!judged_file(inode)) return;
    evaluated(kAppContract);
    WBSIM_CHECK(kAppContract, ret <= 0, "file {}: {} of {}+{} returned {}: it returns 0 or an error", inode.ino,
                range_op_name(op), offset, len, ret);
    if (ret == 0) return;
    not_interrupted(inode, range_op_name(op), ret);
    if (!about_the_data(ret)) return;
    // Any errno: the server refuses a range that a lost write left it
    // without (-EINVAL past its shorter EOF) with its own error.
    WBSIM_CHECK(kAppContract, justified(inode, 0, 0, 0),
                "file {}: {} of {}+{} returned {}, but no write RPC of the file ever failed for good ({} refused "
                "with -EAGAIN, which the retry absorbs)",
                inode.ino, range_op_name(op), offset, len, ret, retriable_[file_id_of(inode)]);
  }

  void sync_file_range_returned(const model::NetfsInode& inode, int ret) override {
    if (ret >= 0 || !judged_file(inode)) return;
    not_interrupted(inode, "sync_file_range", ret);
    if (!about_the_data(ret)) return;
    WBSIM_CHECK(kAppContract, justified(inode, 0, 0, UINT64_MAX, UINT64_MAX, ret),
                "file {}: sync_file_range returned {}, but no write RPC of the file ever failed for good with it ({} "
                "refused with -EAGAIN, which the retry absorbs)",
                inode.ino, ret, retriable_[file_id_of(inode)]);
  }

  void write_begin(const model::NetfsInode& inode, model::loff_t pos, std::uint64_t len, bool unbuffered) override {
    Write& w = writes_[current_fiber()];
    w = Write{inode.ino, static_cast<std::uint64_t>(pos), ++seq_, {}, {}, false};
    if (unbuffered) unbuffered_.erase(current_fiber());
  }
  void data_stored(const model::NetfsInode& inode, model::loff_t pos, std::span<const std::uint8_t> data) override {
    const auto it = writes_.find(current_fiber());
    if (it == writes_.end() || it->second.ino != inode.ino) return;
    const auto from = static_cast<std::uint64_t>(pos);
    it->second.stored.emplace_back(from, from + data.size());
    it->second.bytes.insert(it->second.bytes.end(), data.begin(), data.end());
  }

  void write_returned(const model::NetfsInode& inode, model::loff_t pos, std::span<const std::uint8_t> data,
                      std::int64_t ret, bool unbuffered) override {
    const auto wit = writes_.find(current_fiber());
    if (wit == writes_.end() || !judged_file(inode)) return;
    const Write w = std::move(wit->second);
    writes_.erase(wit);
    if (ret == model::kEIOCBQUEUED) return;
    const auto p = static_cast<std::uint64_t>(pos);
    std::uint64_t prefix = 0;
    std::string rname = "the write";
    if (unbuffered) {
      const auto u = unbuffered_.find(current_fiber());
      if (u != unbuffered_.end()) {
        prefix = contiguous_prefix(transferred_[u->second], p);
        rname = fmt::format("R={:08x}", static_cast<std::uint32_t>(u->second));
        transferred_.erase(u->second);
        unbuffered_.erase(u);
      }
    } else {
      prefix = contiguous_prefix(w.stored, p);
      same_bytes(inode, w, pos, data);
    }
    prefix = std::min<std::uint64_t>(prefix, data.size());
    const char* kind = unbuffered ? "unbuffered" : "buffered";
    const char* did = unbuffered ? "transferred" : "stored";
    if (ret >= 0 && w.async_writethrough) {
      // ki_complete's value: min(transferred, len), or the request's error,
      // which the write collector never sets (a failed upload stream only
      // sets the mapping's error): after a failed upload it is the prefix
      // collected before the failure, possibly 0 (docs/findings.md). Where
      // the upload did not fail, it covered every byte the copy stored
      // (from the first folio's start to the end of the last); more is
      // returned-bytes' to judge (N10), less is a short count for a write
      // whose every byte reached the server.
      WBSIM_CHECK(kAppContract, w.upload_failed || static_cast<std::uint64_t>(ret) >= prefix,
                  "asynchronous writethrough of {} bytes at {} completed with {}, but the write stored the first {} "
                  "and its upload did not fail (file {})",
                  data.size(), pos, ret, prefix, inode.ino);
      return;
    }
    if (ret >= 0) {
      // An unbuffered write may report less than reached the server: the
      // retry re-split of the 6.10-7.0-rc2 issuer restarts a subrequest
      // past a partial transfer that collection then never counts, and
      // POSIX leaves the bytes past the count unspecified. Never more.
      WBSIM_CHECK(kAppContract, unbuffered ? static_cast<std::uint64_t>(ret) <= prefix : static_cast<std::uint64_t>(ret) == prefix,
                  "{} write of {} bytes at {} returned {}, but {} {} the first {} (file {})", kind, data.size(), pos,
                  ret, rname, did, prefix, inode.ino);
      // Fewer, but not none: a write that transferred a prefix does not
      // report that it wrote nothing (a 0 says no byte was written).
      WBSIM_CHECK(kAppContract, ret > 0 || prefix == 0 || data.empty(),
                  "{} write of {} bytes at {} returned 0, but {} {} the first {} (file {})", kind, data.size(), pos,
                  rname, did, prefix, inode.ino);
      // Nor does one that wrote nothing: it returns the error that stopped
      // it (generic_perform_write's `written ? written : status`,
      // ki_complete's `wreq->error ?: written`). A 0 for a non-empty
      // buffer sends the usual write loop round for ever.
      WBSIM_CHECK(kAppContract, ret > 0 || data.empty(),
                  "{} write of {} bytes at {} returned 0: a write that stores nothing returns the error that stopped "
                  "it (file {})",
                  kind, data.size(), pos, inode.ino);
      return;
    }
    WBSIM_CHECK(kAppContract, prefix == 0,
                "{} write of {} bytes at {} returned {}, but {} {} the first {} bytes: a write returns the prefix it "
                "{}, an error only when it is empty (file {})",
                kind, data.size(), pos, ret, rname, did, prefix, did, inode.ino);
    not_interrupted(inode, "a write", ret);
    if (!about_the_data(ret)) return;
    WBSIM_CHECK(kAppContract, justified(inode, 0, 0, 0, UINT64_MAX, static_cast<int>(ret)),
                "{} write of {} bytes at {} returned {}, but no write RPC of the file failed for good with it before "
                "it returned ({} refused with -EAGAIN, which the retry absorbs; file {})",
                kind, data.size(), pos, ret, retriable_[file_id_of(inode)], inode.ino);
  }

 private:
  // The model has no signals (model/netfs/locking.cpp): the interruptible
  // and killable waits never fail, so nothing may report an interruption.
  void not_interrupted(const model::NetfsInode& inode, const char* what, std::int64_t ret) {
    WBSIM_CHECK(kAppContract, ret != model::kEINTR && ret != model::kERESTARTSYS,
                "file {}: {} returned {}, an interruption, but the model has no signals: no wait can be interrupted",
                inode.ino, what, ret);
  }

  struct Failure {
    std::uint64_t from, to, seq;
    int error;
  };
  struct Write {
    std::uint32_t ino = 0;
    std::uint64_t pos = 0;
    std::uint64_t began = 0;
    Ranges stored;  // buffered: the bytes copied into the page cache
    std::vector<std::uint8_t> bytes;  // what each of them stored, in order
    bool async_writethrough = false;
    bool upload_failed = false;  // an asynchronous writethrough's upload stream failed
  };

  // A buffered write stores the caller's bytes: byte p of the file gets
  // data[p - pos]. A copy that took them from another place of the buffer
  // (an iterator not reverted after a short copy) stores the wrong ones.
  void same_bytes(const model::NetfsInode& inode, const Write& w, model::loff_t pos,
                  std::span<const std::uint8_t> data) {
    const auto p = static_cast<std::uint64_t>(pos);
    std::size_t at = 0;
    for (const auto& [from, to] : w.stored) {
      const std::uint64_t n = to - from;
      if (from >= p && to <= p + data.size()) {
        const auto mine = data.subspan(from - p, n);
        const auto got = std::span(w.bytes).subspan(at, n);
        const auto diff = std::mismatch(mine.begin(), mine.end(), got.begin());
        WBSIM_CHECK(kAppContract, diff.first == mine.end(),
                    "buffered write of {} bytes at {} stored 0x{:02x} at {}, but the caller's byte there is 0x{:02x} "
                    "(file {})",
                    data.size(), pos, diff.first == mine.end() ? 0 : *diff.second,
                    from + static_cast<std::uint64_t>(diff.first - mine.begin()),
                    diff.first == mine.end() ? 0 : *diff.first, inode.ino);
      }
      at += n;
    }
  }

  // A permanent failure of the file after `since` (and before `before`)
  // over bytes overlapping [from, to) (to == 0: any bytes).
  // With `err`, the failure's errno is the one reported, or `err` is -EIO:
  // errseq reports the errno mapping_set_error() was given, and the AS_
  // bits report -ENOSPC for -ENOSPC and -EIO for every other error.
  bool justified(const model::NetfsInode& inode, std::uint64_t since, std::uint64_t from, std::uint64_t to,
                 std::uint64_t before = UINT64_MAX, int err = 0) {
    evaluated(kAppContract);
    for (const Failure& f : failures_[file_id_of(inode)]) {
      if (f.seq <= since || f.seq >= before) continue;
      if (err != 0 && err != model::kEIO && f.error != err) continue;
      if (to == 0 || (f.from < to && from < f.to)) return true;
    }
    return false;
  }

  std::uint64_t seq_ = 0;
  std::map<std::uint32_t, std::vector<Failure>> failures_;  // by server file id
  std::map<std::uint32_t, std::uint64_t> retriable_;        // -EAGAIN refusals, by server file id
  std::map<std::uint64_t, std::uint64_t> created_;          // wreq_key -> seq when made
  std::map<std::uint64_t, Ranges> transferred_;             // wreq_key -> acknowledged upload ranges
  std::map<sim::FiberId, std::uint64_t> unbuffered_;        // the unbuffered request each fiber's write made
  std::map<sim::FiberId, const model::NetfsIoRequest*> collecting_;
  std::map<sim::FiberId, Write> writes_;
  std::map<std::uint64_t, sim::FiberId> writethrough_;  // writethrough requests, by wreq_key: the writer
};

}  // namespace

std::unique_ptr<Checker> make_app_contract_checker() { return std::make_unique<AppContract>(); }

}  // namespace wbsim::checkers
