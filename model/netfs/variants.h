//! Historical behaviours of fs/netfs, kept out of the mainline functions.
//!
//! Each `--bug NAME` switch (`wbsim bugs`) re-creates what the kernel did
//! before the fix it is named after. The mainline function calls one hook
//! here where the old code differed; the hook does or decides what the old
//! code did when its switch is on, and nothing otherwise. So a model
//! function diffs against its kernel function line for line but for the
//! hook call, and every old behaviour is in this one file.
#pragma once

#include <cstdint>

#include "model/netfs/netfs.h"
#include "model/netfs/request.h"
#include "model/netfs/trace.h"

namespace wbsim::model::variant {

// "netfs: Fix the pre-flush when appending to a file in writethrough mode":
// an append skipped the flush of what was already dirty.
bool writethrough_append_skips_preflush(const NetfsInode& ctx, loff_t pos);

// "netfs: Fix streaming write being overwritten" and "netfs: Fix
// folio->private handling in netfs_perform_write()": folio->private went
// through the old netfs_set_group() at copied_uptodate. True if it did.
bool perform_write_set_group(Folio& folio, NetfsGroup* netfs_group, NetfsFolioTrace trace);

// The policy of kernels before 70a7b9193bbb: a file open for reading makes
// no streaming writes (it prefetches the folio as with a cache).
bool no_streaming_for_readable_file(const NetfsInode& ctx, const NetfsFile& file);

// The policy of F24's proposed fix (NetfsInode::insert_range_drops_to_eof):
// the last byte insert range drops from the page cache, -1 (the end of the
// file) under it, mainline's old_eof otherwise.
loff_t insert_range_drop_end(const NetfsInode& ctx, loff_t old_eof);

// "netfs: Fix early issue of write op on partial write to folio tail": the
// test was on the data's length, not its end.
bool early_issue_on_partial_tail(bool data_shorter_than_folio);

// "netfs: Fix the (non-)cancellation of copy when cache is temporarily
// disabled": a copy-to-cache folio went on with no stream to carry it.
bool copy_to_cache_goes_on_without_cache();

// "cifs: Fix race between hole punch and page fault": smb3_punch_hole did
// not hold the invalidate lock, so a fault could read the range it dropped
// back from the server before the hole was punched there. True if the
// operation leaves faults in.
bool range_op_leaves_faults_in(RangeOp op);

// "smb: client: fix race with fallocate(2) and AIO+DIO" (dba9f997c9d9):
// cifs_fallocate() took no lock and waited for nothing; each mode but
// allocation took the inode lock itself, and an AIO+DIO extending the file
// could complete while the operation ran on an i_size read before it. True
// for the code before the fix.
bool fallocate_unlocked();

// "cifs: Fix FALLOC_FL_PUNCH_HOLE support": smb3_punch_hole did not move
// the server's EOF when the hole cut the tail of dirty data that would
// have moved it. True if the EOF is left where it is.
bool punch_hole_leaves_eof(const NetfsInode& ctx);

// "netfs: Fix io_uring based write-through": ki_complete got the unclamped
// transferred count.
bool writethrough_completes_unclamped();

// "netfs: Fix interaction of streaming writes with zero-point tracker":
// writeback of a streaming folio did not raise zero_point.
bool streaming_writeback_keeps_zero_point();

// "netfs: Fix netfs_read_folio() to wait on writeback" (ded0c6f16060): the
// read looked at the dirty flag and folio->private while writeback ran.
bool read_folio_skips_writeback_wait();

// "netfs: Fix netfs_invalidate_folio() to clear dirty bit if all changes
// gone" (156ac2ec2ee7): erasing a streaming record left the folio dirty.
bool invalidate_keeps_folio_dirty(const Folio& folio);

// "netfs: Fix oops in write-retry from mis-resetting the subreq iterator":
// the retry rewound the iterator to the subrequest's start. True if it did.
bool retry_rewinds_iterator_to_start(NetfsIoSubrequest& subreq);

// "netfs: Fix ref leak on inserted extra subreq in write retry": the
// resubmission of an inserted subrequest took a reference nothing dropped.
void retry_inserted_subreq_takes_extra_ref(NetfsIoSubrequest& subreq);

// "netfs: Fix i_size updating": an unbuffered write tested "did we extend
// the file" against i_size as it was before the I/O and acted on it after,
// without the lock. True if it did (instead of netfs_update_i_size).
bool unbuffered_write_extends_i_size_unlocked(NetfsIoRequest& wreq);

// --- the unbuffered issuer of 6.10 to 7.0-rc2 ---------------------------------
// "netfs: Fix unbuffered/DIO writes to dispatch subrequests in strict
// sequence" replaced it; three zoo bugs lived in it, and switching one on
// takes that issuer (netfs_unbuffered_write_paused, variants_unbuffered_6_10.cpp).
bool unbuffered_write_takes_paused_issuer();
// "netfs: Fix setting NETFS_RREQ_ALL_QUEUED to be after all subreqs queued".
bool all_queued_set_before_last_subreq();
// "netfs: Fix looping in wait functions": collecting in the app thread with
// nothing left and ALL_QUEUED clear ran the collector again, forever.
bool collect_in_app_with_nothing_left(bool nothing_left);
// The collection of a request no stream reported for: before "netfs: Fix
// unbuffered write error handling" the LONG_MAX sentinel became the count;
// after it, the model gives the old issuer's failed write its upload error.
void unbuffered_write_collected_nothing(NetfsIoRequest& wreq);

// --- planted mutations, not kernel history -------------------------------------
// Switches named planted-* break a contract on purpose so that a test and a
// sweep can show its checker firing; `wbsim bugs` does not list them (no
// kernel ever had them), `--bug` takes them.
// The collector records the error of a subrequest it is about to retry on
// the mapping: a transient error reaches fsync and close.
bool planted_retry_reports_transient_error();
// The unbuffered issuer sizes a subrequest by what is left of the write,
// ignoring the stream's sreq_max_len (the negotiated wsize).
bool planted_unbuffered_issue_ignores_max_len();

}  // namespace wbsim::model::variant
