// Pin: the historical behaviours of fs/netfs, each named after its fix (docs/fidelity.md).
#include "model/netfs/variants.h"

#include <algorithm>
#include <climits>

#include "model/backend/server.h"
#include "model/events.h"
#include "model/netfs/internal.h"
#include "model/trace_reasons.h"
#include "sim/bug_switch.h"

namespace wbsim::model::variant {

WBSIM_BUG(kBugWritethroughAppendNoFlush, "netfs-writethrough-append-no-preflush", "netfs/writethrough_append",
          "folio-state", "netfs: Fix the pre-flush when appending to a file in writethrough mode");
WBSIM_BUG(kBugStreamingWriteOverwritten, "netfs-streaming-write-overwritten", "netfs/streaming_whole_folio_overwrite",
          "data-integrity", "netfs: Fix streaming write being overwritten");
WBSIM_BUG(kBugPerformWritePrivate, "netfs-perform-write-folio-private", "netfs/group_write_over_cached_read",
          "refcount", "netfs: Fix folio->private handling in netfs_perform_write()");
WBSIM_BUG(kBugEarlyIssuePartialTail, "netfs-early-issue-partial-folio-tail", "netfs/streaming_partial_folios",
          "coalescing", "netfs: Fix early issue of write op on partial write to folio tail");
WBSIM_BUG(kBugCopyToCacheNoCache, "netfs-copy-to-cache-cache-disabled", "netfs/copy_to_cache_after_dio", "deadlock",
          "netfs: Fix the (non-)cancellation of copy when cache is temporarily disabled");
WBSIM_BUG(kBugWritethroughCompleteUnclamped, "netfs-writethrough-complete-unclamped", "netfs/writethrough_append",
          "returned-bytes", "netfs: Fix io_uring based write-through");
WBSIM_BUG(kBugStreamingZeroPoint, "netfs-streaming-write-zero-point", "netfs/streaming_append_unaligned_eof",
          "zero-point", "netfs: Fix interaction of streaming writes with zero-point tracker");
WBSIM_BUG(kBugRetryRevertIter, "netfs-retry-iter-revert", "netfs/short_write_retry", "iterator",
          "netfs: Fix oops in write-retry from mis-resetting the subreq iterator");
WBSIM_BUG(kBugRetryInsertedSubreqRef, "netfs-retry-inserted-subreq-ref-leak", "netfs/retry_shrinking_credits", "refcount",
          "netfs: Fix ref leak on inserted extra subreq in write retry");
WBSIM_BUG(kBugDioISizeRace, "netfs-dio-i-size-race", "netfs/dio_extend_concurrent", "i-size",
          "netfs: Fix i_size updating");
WBSIM_BUG(kBugUnbufferedPauseIssuer, "netfs-unbuffered-write-pause-issuer", "netfs/dio_pause_final_construct",
          "deadlock", "netfs: Fix unbuffered/DIO writes to dispatch subrequests in strict sequence");
WBSIM_BUG(kBugCollectInAppLoops, "netfs-wait-loops-collecting-in-app", "netfs/unbuffered_write_pause", "livelock",
          "netfs: Fix looping in wait functions");
WBSIM_BUG(kBugUnbufferedAllFailedLongMax, "netfs-unbuffered-all-failed-long-max", "netfs/unbuffered_write_pause",
          "returned-bytes", "netfs: Fix unbuffered write error handling");
WBSIM_BUG(kBugAllQueuedEarly, "netfs-all-queued-before-last-subreq", "netfs/unbuffered_write_pause", "request-state",
          "netfs: Fix setting NETFS_RREQ_ALL_QUEUED to be after all subreqs queued");

WBSIM_BUG(kBugRangeOpNoInvalidateLock, "netfs-punch-hole-faults-in-stale-data", "netfs/fault_vs_punch_hole",
          "data-integrity", "cifs: Fix race between hole punch and page fault");

WBSIM_BUG(kBugPunchHoleLeavesEof, "netfs-punch-hole-leaves-eof", "netfs/punch_hole_over_dirty_tail",
          "data-integrity", "cifs: Fix FALLOC_FL_PUNCH_HOLE support");

WBSIM_BUG(kBugFallocateUnlocked, "netfs-fallocate-unlocked", "netfs/fallocate_vs_aio_extend", "i-size",
          "smb: client: fix race with fallocate(2) and AIO+DIO");

WBSIM_BUG(kBugReadFolioNoWritebackWait, "netfs-read-folio-no-writeback-wait",
          "netfs/read_streaming_folio_under_writeback", "folio-state",
          "netfs: Fix netfs_read_folio() to wait on writeback");
WBSIM_BUG(kBugInvalidateKeepsDirty, "netfs-invalidate-folio-leaves-dirty", "netfs/truncate_into_streaming_folio",
          "data-integrity", "netfs: Fix netfs_invalidate_folio() to clear dirty bit if all changes gone");

// Planted mutations (variants.h): the fix field says what breaks, not a kernel fix.
WBSIM_BUG(kPlantedTransientToMapping, "planted-retry-reports-transient-error", "netfs/*", "app-contract",
          "planted, no kernel fix: the collector records a retried subrequest's -EAGAIN on the mapping");
WBSIM_BUG(kPlantedIssuePastWsize, "planted-unbuffered-issue-past-wsize", "netfs/*", "server-protocol",
          "planted, no kernel fix: the unbuffered issuer ignores sreq_max_len and sends past wsize");

bool planted_retry_reports_transient_error() { return sim::bug(kPlantedTransientToMapping); }

bool planted_unbuffered_issue_ignores_max_len() { return sim::bug(kPlantedIssuePastWsize); }

bool writethrough_append_skips_preflush(const NetfsInode& ctx, loff_t pos) {
  return sim::bug(kBugWritethroughAppendNoFlush) && pos >= ctx.i_size;
}

namespace {

// netfs_set_group() as it was: a group replaces the copy-to-cache mark
// through folio_attach_private(), which takes a second folio reference over
// the one the mark holds (the kernel's attach does not check), and a
// streaming record is left where it is.
void netfs_set_group(Folio& folio, NetfsGroup* netfs_group) {
  const FolioPrivate::Kind kind = folio.priv.kind;
  if (netfs_group != nullptr && (kind == FolioPrivate::Kind::none || kind == FolioPrivate::Kind::copy_to_cache)) {
    ++netfs_group->ref;
    if (kind == FolioPrivate::Kind::copy_to_cache) {
      folio_get(folio);
      folio_change_private(folio, {FolioPrivate::Kind::group, netfs_group, nullptr});
    } else {
      folio_attach_private(folio, {FolioPrivate::Kind::group, netfs_group, nullptr});
    }
  } else if (netfs_group == nullptr && kind == FolioPrivate::Kind::copy_to_cache) {
    folio_detach_private(folio);
  }
}

}  // namespace

bool perform_write_set_group(Folio& folio, NetfsGroup* netfs_group, NetfsFolioTrace trace) {
  const bool whole_over_streaming = trace == NetfsFolioTrace::netfs_whole_folio_modify_filled;
  // A whole-folio write over a streaming folio kept the stale netfs_folio:
  // writeback then uploads only its old dirty range.
  if (whole_over_streaming && sim::bug(kBugStreamingWriteOverwritten)) {
    netfs_set_group(folio, netfs_group);
    return true;
  }
  // Every other case went through netfs_set_group() too, but for the
  // continued streaming write that filled its folio.
  if (!whole_over_streaming && trace != NetfsFolioTrace::netfs_streaming_cont_filled_page &&
      sim::bug(kBugPerformWritePrivate)) {
    netfs_set_group(folio, netfs_group);
    return true;
  }
  return false;
}

bool no_streaming_for_readable_file(const NetfsInode& ctx, const NetfsFile& file) {
  return ctx.streaming_write_only_files && (file.f_mode & FMODE_READ) != 0;
}

loff_t insert_range_drop_end(const NetfsInode& ctx, loff_t old_eof) {
  return ctx.insert_range_drops_to_eof ? -1 : old_eof;
}

bool early_issue_on_partial_tail(bool data_shorter_than_folio) {
  return data_shorter_than_folio && sim::bug(kBugEarlyIssuePartialTail);
}

bool copy_to_cache_goes_on_without_cache() { return sim::bug(kBugCopyToCacheNoCache); }

bool writethrough_completes_unclamped() { return sim::bug(kBugWritethroughCompleteUnclamped); }

bool streaming_writeback_keeps_zero_point() { return sim::bug(kBugStreamingZeroPoint); }

bool read_folio_skips_writeback_wait() { return sim::bug(kBugReadFolioNoWritebackWait); }

bool invalidate_keeps_folio_dirty(const Folio& folio) {
  return sim::bug(kBugInvalidateKeepsDirty) && folio_test_dirty(folio);
}

bool retry_rewinds_iterator_to_start(NetfsIoSubrequest& subreq) {
  if (!sim::bug(kBugRetryRevertIter)) return false;
  // iov_iter_revert(&source, subreq->len - source.count): right only on the
  // first retry; the model's iterator is not advanced by a transfer, so the
  // old rewind lands at the subrequest's start whatever was transferred.
  subreq.io_iter_start = subreq.start;
  return true;
}

void retry_inserted_subreq_takes_extra_ref(NetfsIoSubrequest& subreq) {
  if (sim::bug(kBugRetryInsertedSubreqRef)) netfs_get_subrequest(subreq);
}

bool unbuffered_write_extends_i_size_unlocked(NetfsIoRequest& wreq) {
  if (!sim::bug(kBugDioISizeRace)) return false;
  NetfsInode& ictx = *wreq.inode;
  const std::uint64_t written = std::min(wreq.transferred, wreq.len);
  const loff_t end = wreq.start + static_cast<loff_t>(written);
  // The test against the i_size seen when the request was made
  // (wreq->i_size); a smaller extension completing last takes i_size back.
  if (written == 0 || wreq.start + static_cast<loff_t>(wreq.len) <= wreq.i_size) return true;
  trace_ev(Ev::i_size, static_cast<std::uint64_t>(ictx.i_size), static_cast<std::uint64_t>(end));
  const loff_t old = ictx.i_size;
  ictx.i_size = end;
  MODEL_EVENT(i_size_changed(ictx, old, end, false));
  return true;
}

bool unbuffered_write_takes_paused_issuer() {
  return sim::bug(kBugUnbufferedPauseIssuer) || sim::bug(kBugAllQueuedEarly) || sim::bug(kBugCollectInAppLoops) ||
         sim::bug(kBugUnbufferedAllFailedLongMax);
}

bool all_queued_set_before_last_subreq() { return sim::bug(kBugAllQueuedEarly); }

bool collect_in_app_with_nothing_left(bool nothing_left) { return nothing_left && sim::bug(kBugCollectInAppLoops); }

void unbuffered_write_collected_nothing(NetfsIoRequest& wreq) {
  if (wreq.origin != NetfsIoOrigin::unbuffered_write && wreq.origin != NetfsIoOrigin::dio_write) return;
  if (sim::bug(kBugUnbufferedAllFailedLongMax)) {
    wreq.transferred = static_cast<std::uint64_t>(INT64_MAX);  // the LONG_MAX sentinel as a count
    return;
  }
  const NetfsIoStream& upload = wreq.io_streams[0];
  if (upload.active && upload.failed) wreq.error = upload.error;
}

bool range_op_leaves_faults_in(RangeOp op) {
  return op == RangeOp::punch_hole && sim::bug(kBugRangeOpNoInvalidateLock);
}

bool fallocate_unlocked() { return sim::bug(kBugFallocateUnlocked); }

bool punch_hole_leaves_eof(const NetfsInode& ctx) {
  return ctx.i_size > ctx.remote_i_size && sim::bug(kBugPunchHoleLeavesEof);
}

}  // namespace wbsim::model::variant
