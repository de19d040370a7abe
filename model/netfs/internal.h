//! Pin: fs/netfs/internal.h (prototypes) (gregkh/linux, 2026; docs/fidelity.md).
//! netfs internals shared between the write-path files, sectioned by the
//! file that defines each declaration (as fs/netfs/internal.h is).
#pragma once

#include <string>
#include <vector>

#include "model/mm/iov_iter.h"
#include "model/netfs/netfs.h"
#include "model/netfs/request.h"

namespace wbsim::model {

// How a subrequest appears in trace lines: R=wreq, index, stream as
// 0xRRRRRIIIS (request id, subrequest index, stream number).
inline std::uint64_t netfs_sreq_tag(const NetfsIoSubrequest& s) {
  return std::uint64_t{s.rreq->debug_id} << 16 | std::uint64_t{s.debug_index & 0xfff} << 4 | s.stream_nr;
}

// --- objects.cpp -------------------------------------------------------------
NetfsIoRequest& netfs_alloc_request(NetfsInode& ictx, loff_t start, std::uint64_t len, NetfsIoOrigin origin);
NetfsIoSubrequest& netfs_alloc_subrequest(NetfsIoRequest& wreq);
void netfs_get_request(NetfsIoRequest& wreq);
void netfs_put_request(NetfsIoRequest& wreq);
void netfs_get_subrequest(NetfsIoSubrequest& subreq);
void netfs_put_subrequest(NetfsIoSubrequest& subreq);
// Drops whatever is still on the streams' lists (a failed subrequest the
// inline unbuffered path did not collect).
void netfs_clear_subrequests(NetfsIoRequest& wreq);
void netfs_put_group(NetfsGroup* group);
// Harness bookkeeping: marks pinned finding F4's path when growing i_size
// from `old` for data starting at `pos` exposes non-zero bytes past the old
// EOF in the folio that held it.
void netfs_note_post_eof_exposure(NetfsInode& ctx, loff_t old, loff_t pos);
// kfree() of a netfs_folio record, as slab poisoning has it: the record is
// filled with POISON_FREE (0x6b) and kept until the World goes, so that a
// read after the free sees poison (and putting its group is refused)
// instead of the old values.
void netfs_free_folio_info(NetfsFolio* finfo);
// The World's teardown: the poisoned records go for good.
void netfs_release_freed_folio_infos();
// docs/findings.md F19's path: a retry quiescing (NETFS_RREQ_RETRYING) while
// a stream's construct is unissued and the subrequest mempool's reserve is
// empty. Checked where the issuer allocates and where the collector starts
// to wait, whichever comes second.
void netfs_note_retry_vs_drained_pool(const NetfsIoRequest& wreq);
// Records allocated on this thread and neither freed (netfs_free_folio_info,
// or deleted) nor destroyed: those attached to folios, and any leaked.
std::int64_t netfs_folio_infos_unfreed();
void netfs_put_group_many(NetfsGroup* group, int nr);
// The bytes a subrequest's io_iter covers, read from the rolling buffer's
// folios (buffered origins) or the request's own bytes (unbuffered).
std::vector<std::uint8_t> netfs_extract_iter(const NetfsIoRequest& wreq, loff_t pos, std::uint64_t len);
// netfs_reset_iter(): the io_iter covers what is left to send, remain =
// len - transferred, ending where it ended.
void netfs_reset_iter(NetfsIoSubrequest& subreq);

// --- buffered_read.cpp -------------------------------------------------------
// netfs_read_folio() (->read_folio): fill a locked folio that is not
// uptodate from the server (its gaps only, for a streaming folio) and mark
// it uptodate.
void netfs_read_folio(NetfsInode& ictx, Folio& folio);
// The readahead_control of a read or fault through `file`: its window, the
// mapping's largest folio order, netfs_readahead() for the batch.
ReadaheadControl netfs_ractl(NetfsFile& file);

// netfs_release_folio() (misc.cpp): a clean folio may leave the cache;
// what it held is on the server, so zero_point rises past it (even if the
// folio stays), up to remote_i_size. A folio with private data (a
// copy-to-cache mark) stays.
bool netfs_release_folio(Folio& folio);

// netfs_invalidate_folio() (fs/netfs/misc.c), ->invalidate_folio: a
// streaming record in [offset, offset + length) is trimmed, moved or
// erased; the whole folio loses its private data and PG_uptodate.
void netfs_invalidate_folio(Folio& folio, std::uint64_t offset, std::uint64_t length);

// netfs_prefetch_for_write(): read the whole folio (locked, not uptodate)
// before a partial write into it; 0 or -errno.
int netfs_prefetch_for_write(NetfsFile& file, Folio& folio, std::uint64_t offset, std::uint64_t len);

// --- direct_read.cpp ---------------------------------------------------------
// A read(2) or io_submit on the unbuffered path with these ki_flags
// (IOCB_DIRECT for O_DIRECT; without it, a NETFS_ICTX_UNBUFFERED inode's
// read), bracketed by the checkers' events.
std::int64_t netfs_unbuffered_read_call(NetfsFile& file, loff_t pos, std::uint64_t len, std::vector<std::uint8_t>& out,
                                        unsigned ki_flags, bool aio);

// --- buffered_write.cpp ------------------------------------------------------
std::int64_t netfs_perform_write(Kiocb& iocb, IovIter& iter, NetfsGroup* netfs_group, const WriteOptions& options);
void netfs_update_i_size(NetfsInode& ctx, loff_t pos, std::uint64_t copied);

// --- direct_write.cpp ---------------------------------------------------------
// netfs_unbuffered_write_iter() on a kiocb; returns -EIOCBQUEUED for an
// asynchronous one, whose ki_complete runs later.
std::int64_t netfs_unbuffered_write_iter(Kiocb& iocb, const std::vector<std::uint8_t>& data);
// A write(2) or io_uring submission (`aio`) on the unbuffered path with these
// ki_flags (IOCB_DIRECT for O_DIRECT; without it, a NETFS_ICTX_UNBUFFERED
// inode's write), bracketed by the checkers' events.
std::int64_t netfs_unbuffered_write_call(NetfsFile& file, loff_t pos, const std::vector<std::uint8_t>& data,
                                         unsigned ki_flags, bool aio);
void inode_dio_begin(NetfsInode& ictx);
void inode_dio_end(NetfsInode& ictx);

// --- locking.c: the inode lock's buffered and direct modes ---
int netfs_start_io_read(NetfsInode& ictx);
void netfs_end_io_read(NetfsInode& ictx);
int netfs_start_io_write(NetfsInode& ictx);
void netfs_end_io_write(NetfsInode& ictx);
int netfs_start_io_direct(NetfsInode& ictx);
void netfs_end_io_direct(NetfsInode& ictx);

// --- variants_unbuffered_6_10.cpp: the unbuffered issuer of 6.10 to 7.0-rc2 ---
// The whole unbuffered write of that issuer: issue with PAUSE waits, collect
// through the collector, return the error or the bytes transferred.
std::int64_t netfs_unbuffered_write_paused(NetfsIoRequest& wreq);

// --- write_issue.cpp ---------------------------------------------------------
NetfsIoRequest& netfs_create_write_req(AddressSpace& mapping, loff_t start, NetfsIoOrigin origin);
void netfs_prepare_write(NetfsIoRequest& wreq, NetfsIoStream& stream, loff_t start);
int netfs_write_folio(NetfsIoRequest& wreq, WritebackControl& wbc, Folio& folio);
void netfs_end_issue_write(NetfsIoRequest& wreq);
void netfs_prepare_write_failed(NetfsIoSubrequest& subreq);
std::uint64_t netfs_advance_write(NetfsIoRequest& wreq, NetfsIoStream& stream, loff_t start, std::uint64_t len,
                                  bool to_eof);
void netfs_issue_write(NetfsIoRequest& wreq, NetfsIoStream& stream);
void netfs_reissue_write(NetfsIoStream& stream, NetfsIoSubrequest& subreq);
int netfs_writepages(AddressSpace& mapping, WritebackControl& wbc);

// --- write_issue_single.cpp, write_issue_writethrough.cpp (write_issue.c) -----
// netfs_writeback_single(): a monolithic payload (an afs directory's blob),
// folios outside the page cache at positions from 0, `size` bytes of them.
// 0, or 1 if WB_SYNC_NONE found the writeback lock taken and skipped it.
int netfs_writeback_single(AddressSpace& mapping, WritebackControl& wbc, const std::vector<Folio*>& payload,
                           std::uint64_t size);
NetfsIoRequest& netfs_begin_writethrough(NetfsInode& ictx, loff_t pos, bool async);
int netfs_advance_writethrough(NetfsIoRequest& wreq, WritebackControl& wbc, Folio& folio, std::uint64_t copied,
                               bool to_page_end, Folio** writethrough_cache);
// Returns the request's completion value: an error or the bytes written.
std::int64_t netfs_end_writethrough(NetfsIoRequest& wreq, WritebackControl& wbc, Folio* writethrough_cache);

// --- write_collect.cpp -------------------------------------------------------
// `wreq` (may be null) is the request ending writeback, for the checkers.
int netfs_folio_written_back(Folio& folio, const NetfsIoRequest* wreq);
void netfs_write_collection_worker(NetfsIoRequest& wreq);
// One collection pass and, if everything is in, completion; true if the
// request completed (netfs_write_collection).
bool netfs_write_collection(NetfsIoRequest& wreq);
// fs/netfs/misc.c: the waits of a caller that may collect in its own thread.
void netfs_wait_for_pause(NetfsIoRequest& wreq);
// Every subrequest on the stream's list has finished (woken through waitq).
void netfs_wait_for_in_progress_stream(NetfsIoRequest& wreq, NetfsIoStream& stream);
void netfs_wait_for_request(NetfsIoRequest& wreq);
void netfs_wake_write_collector(NetfsIoRequest& wreq);
void netfs_write_subrequest_terminated(NetfsIoSubrequest& subreq, std::int64_t transferred_or_error);

// --- write_crypto.cpp --------------------------------------------------------
// Queues a folio just appended to the rolling buffer for encryption.
void netfs_queue_encrypt(NetfsIoRequest& wreq, Folio& folio);
// Stalls a subrequest whose range is not encrypted yet; false if it may go.
bool netfs_stall_for_crypto(NetfsIoRequest& wreq, NetfsIoSubrequest& subreq);
void netfs_free_crypto_below(NetfsIoRequest& wreq, loff_t cleaned_to);

// --- write_retry.cpp ---------------------------------------------------------
void netfs_retry_writes(NetfsIoRequest& wreq);

}  // namespace wbsim::model
