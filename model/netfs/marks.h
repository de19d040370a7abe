//! Pin: no kernel counterpart (coverage marks) (gregkh/linux, 2026; docs/fidelity.md).
//! Coverage marks and fault sites of the netfs model. A sweep with
//! --require-coverage fails if a mark was never hit, so every interesting
//! path of the write engine is known to be exercised.
#pragma once

#include "sim/coverage.h"

namespace wbsim::model {

using sim::mark;

WBSIM_MARK(kMarkBothStreams, "netfs.both_streams", "a folio was added to the upload and the cache stream");
WBSIM_MARK(kMarkStreamingFolio, "netfs.streaming_folio", "a streaming (partial, not uptodate) folio was written");
WBSIM_MARK(kMarkCopyToCache, "netfs.copy_to_cache", "a copy-to-cache folio went to the cache stream only");
WBSIM_MARK(kMarkGroupRedirty, "netfs.group_redirty", "a folio of another group was redirtied and skipped");
WBSIM_MARK_IN(kMarkDioNowaitAttempt, "netfs.dio_nowait_attempt", "netfs/dio_write_vs_mmap_read",
              "an io_uring direct write was tried with IOCB_NOWAIT first (a file with FMODE_NOWAIT)");
WBSIM_MARK_IN(kMarkDioNowaitOverCache, "netfs.dio_nowait_over_cache", "netfs/dio_write_vs_mmap_read",
              "an IOCB_NOWAIT direct write found its range cached, invalidated it (blocking) and went on");
WBSIM_MARK(kMarkEofTrim, "netfs.eof_trim", "a folio straddling EOF was trimmed and its tail zeroed");
WBSIM_MARK(kMarkBeyondEof, "netfs.beyond_eof", "a folio wholly beyond EOF was cleaned without I/O");
WBSIM_MARK(kMarkDiscontiguity, "netfs.discontiguity", "a stream's subrequest was issued at a discontiguity");
WBSIM_MARK(kMarkKillDirtyPages, "netfs.kill_dirty_pages", "the request could not be created; folios were killed");
WBSIM_MARK(kMarkPauseWait, "netfs.pause_wait", "an unbuffered writer waited for NETFS_RREQ_PAUSE to clear");
WBSIM_MARK(kMarkPauseSet, "netfs.pause_set", "a subrequest error set NETFS_RREQ_PAUSE");
WBSIM_MARK(kMarkPauseCleared, "netfs.pause_cleared", "the collector made progress and cleared PAUSE");
WBSIM_MARK(kMarkGapJumpFront, "netfs.gap_jump_front", "a stream's collected_to jumped to its front ('F')");
WBSIM_MARK(kMarkGapJumpEmpty, "netfs.gap_jump_empty", "an empty stream's collected_to jumped to issued_to ('E')");
WBSIM_MARK(kMarkShortWrite, "netfs.short_write", "a subrequest transferred less than its length");
WBSIM_MARK(kMarkRetryResplit, "netfs.retry_resplit", "a retry re-split a span over the existing subrequests");
WBSIM_MARK(kMarkRetryExtraSubreq, "netfs.retry_extra_subreq", "a retry needed more subrequests and inserted one");
WBSIM_MARK(kMarkRetryDiscard, "netfs.retry_discard", "a retry needed fewer subrequests and dropped one");
WBSIM_MARK(kMarkStreamFailed, "netfs.stream_failed", "a stream failed; later subrequests were cancelled");
WBSIM_MARK(kMarkCacheFailed, "netfs.cache_failed", "the cache stream failed and the cache was invalidated");
WBSIM_MARK(kMarkUploadFailed, "netfs.upload_failed", "the upload stream failed and the mapping error was set");

}  // namespace wbsim::model
