// Pin: fs/netfs/buffered_write.c at 0969ea8370ba with b61cbeadaa83 (2026; docs/fidelity.md).
// netfs_perform_write and netfs_file_write_iter: buffered writes into the
// page cache, streaming writes into folios that are not uptodate,
// zero_point, write groups and writethrough.
#include <algorithm>

#include "model/errno.h"
#include "model/events.h"
#include "model/mm/iov_iter.h"
#include "model/netfs/internal.h"
#include "model/netfs/marks.h"
#include "model/netfs/netfs.h"
#include "model/netfs/trace.h"
#include "model/netfs/variants.h"
#include "model/trace_reasons.h"
#include "sim/assert.h"
#include "sim/known_finding.h"
#include "sim/scheduler.h"

namespace wbsim::model {

WBSIM_MARK(kMarkWritethrough, "netfs.writethrough", "a write went through the page cache to the server");
WBSIM_MARK(kMarkCopyShortRetry, "netfs.copy_short_retry",
           "a whole-folio copy came up short and the write retried the folio with maybe_trouble");

WBSIM_KNOWN_FINDING(kFindingExtendExposesPostEof, "netfs-extend-exposes-post-eof", "data-integrity",
                    "netfs/mmap_beyond_eof_then_extend",
                    "i_size grew over bytes a mapping stored past the old EOF, which become file data");
WBSIM_KNOWN_FINDING(kFindingEfaultForValidBuffer, "netfs-write-efault-valid-buffer", "app-contract",
                    "netfs/write_efault_valid_buffer",
                    "a copy from a faulted-in user page that came back empty (the page was taken meanwhile) ends "
                    "the write with -EFAULT instead of faulting the page in again");

namespace {

// The folio order the page cache is asked for (fgf_set_order of the bytes
// that fit, no larger than the mapping's largest: __filemap_get_folio), or
// a drawn one: an allocation that could not have the order.
unsigned order_for(const AddressSpace& mapping, const WriteOptions& o, std::uint64_t size) {
  const unsigned max = std::min(o.max_folio_order, mapping.max_folio_order);
  if (o.random_orders) return sim::draw(max + 1);
  unsigned order = 0;
  while (order < max && (kPageSize << (order + 1)) <= size) ++order;
  return order;
}

// netfs_grab_folio_for_write(): __filemap_get_folio(FGP_WRITEBEGIN), a
// locked folio with a reference, created if missing.
Folio* netfs_grab_folio_for_write(AddressSpace& mapping, loff_t pos, std::uint64_t part, const WriteOptions& o) {
  const pgoff_t index = static_cast<pgoff_t>(pos) / kPageSize;
  for (;;) {
    Folio* folio = filemap_get_folio(mapping, index);
    if (folio == nullptr) return filemap_alloc_and_add_folio(mapping, index, order_for(mapping, o, pos % kPageSize + part));
    folio_get(*folio);
    folio_lock(*folio);
    if (folio->mapping == &mapping) return folio;
    folio_unlock(*folio);  // truncated while we slept
    folio_put(*folio);
  }
}

}  // namespace

// Harness bookkeeping, no kernel counterpart: whether growing i_size from
// `old` for data starting at `pos` exposes non-zero bytes of the folio that
// held the old EOF. netfs_update_i_size() does not zero them (nor call
// pagecache_isize_extended()), so bytes a shared mapping stored past the
// old EOF become file data (docs/findings.md).
void netfs_note_post_eof_exposure(NetfsInode& ctx, loff_t old, loff_t pos) {
  if (old % static_cast<loff_t>(kPageSize) == 0 || pos <= old) return;
  const Folio* folio = filemap_get_folio(ctx.mapping, static_cast<pgoff_t>(old) >> kPageShift);
  if (folio == nullptr || !folio_test_uptodate(*folio)) return;
  const loff_t stop = std::min(pos, folio->pos() + static_cast<loff_t>(folio->size()));
  for (loff_t b = old; b < stop; ++b) {
    if (folio->data[static_cast<std::size_t>(b - folio->pos())] != 0) {
      sim::known_finding_reached(kFindingExtendExposesPostEof);
      return;
    }
  }
}

// netfs_update_i_size(): the test and the store under i_lock (one fiber runs
// at a time: no scheduling point between them here).
void netfs_update_i_size(NetfsInode& ctx, loff_t pos, std::uint64_t copied) {
  const loff_t end = pos + static_cast<loff_t>(copied);
  if (end <= ctx.i_size) return;
  netfs_note_post_eof_exposure(ctx, ctx.i_size, pos);
  trace_ev(Ev::i_size, static_cast<std::uint64_t>(ctx.i_size), static_cast<std::uint64_t>(end));
  const loff_t old = ctx.i_size;
  ctx.i_size = end;
  MODEL_EVENT(i_size_changed(ctx, old, end, false));
}

namespace {

void free_finfo(NetfsFolio* finfo) { netfs_free_folio_info(finfo); }

}  // namespace

// netfs_perform_write(), called with the inode locked. Kernel-mirroring: its
// gotos and labels are the kernel's.
std::int64_t netfs_perform_write(Kiocb& iocb, IovIter& iter, NetfsGroup* netfs_group, const WriteOptions& options) {
  NetfsFile& file = *iocb.ki_filp;
  NetfsInode& ctx = *file.inode;
  AddressSpace& mapping = ctx.mapping;
  WritebackControl wbc;
  NetfsIoRequest* wreq = nullptr;
  Folio* folio = nullptr;
  Folio* writethrough = nullptr;
  std::int64_t written = 0, ret = 0;
  loff_t pos = iocb.ki_pos;
  const std::uint64_t max_chunk = kPageSize << mapping.max_folio_order;  // mapping_max_folio_size()
  bool maybe_trouble = false;

  if (iocb.ki_flags & (IOCB_DSYNC | IOCB_SYNC)) {
    mark(kMarkWritethrough);
    if (!variant::writethrough_append_skips_preflush(ctx, pos)) {
      ret = filemap_write_and_wait_range(mapping, pos, pos + static_cast<loff_t>(iov_iter_count(iter)));
      if (ret < 0) goto out;
    }
    wreq = &netfs_begin_writethrough(ctx, pos, options.aio);
  }

  do {
    NetfsFolioTrace trace;
    NetfsFolio* finfo;
    NetfsGroup* group;
    loff_t fpos;
    std::uint64_t flen, offset, part, copied;

    offset = static_cast<std::uint64_t>(pos) & (max_chunk - 1);
    part = std::min<std::uint64_t>(max_chunk - offset, iov_iter_count(iter));

    // Bring in the user pages that we will copy from first.
    ret = kEFAULT;
    if (fault_in_iov_iter_readable(iter, part) == part) break;

    folio = netfs_grab_folio_for_write(mapping, pos, part, options);
    flen = folio_size(*folio);
    fpos = folio_pos(*folio);
    offset = static_cast<std::uint64_t>(pos - fpos);
    part = std::min(flen - offset, part);

    // Wait for writeback to complete. The writeback engine owns the info in
    // folio->private and may change it until it removes the WB mark.
    if (folio->priv.kind != FolioPrivate::Kind::none) folio_wait_writeback(*folio);

    finfo = netfs_folio_info(*folio);
    group = netfs_folio_group(*folio);

    // A folio of another group is flushed first. COPY_TO_CACHE is a netfs
    // annotation, not a group (netfs_folio_group() reads it as none here).
    if (group != netfs_group && group != nullptr) {
      SIM_ASSERT_MSG(netfs_group != nullptr, "WARN_ON_ONCE: a write without a group met folio {} of group {}",
                     folio->id, group->id);
      goto flush_content;
    }

    if (folio_test_uptodate(*folio)) {
      copied = copy_folio_from_iter_atomic(*folio, offset, part, iter);
      if (copied == 0) goto copy_failed;
      trace = NetfsFolioTrace::netfs_folio_is_uptodate;
      goto copied_uptodate;
    }

    // Above the zero point the server would return zeros or a short read.
    if (fpos >= ctx.zero_point) {
      folio_zero_segment(*folio, 0, offset);
      copied = copy_folio_from_iter_atomic(*folio, offset, part, iter);
      if (copied == 0) goto copy_failed;
      folio_zero_segment(*folio, offset + copied, flen);
      trace = finfo != nullptr ? NetfsFolioTrace::netfs_modify_and_clear_rm_finfo
                               : NetfsFolioTrace::netfs_modify_and_clear;
      goto mark_uptodate;
    }

    // See if we can write a whole folio in one go.
    if (!maybe_trouble && offset == 0 && part >= flen) {
      copied = copy_folio_from_iter_atomic(*folio, offset, part, iter);
      if (copied == part) {
        trace = finfo != nullptr ? NetfsFolioTrace::netfs_whole_folio_modify_filled
                                 : NetfsFolioTrace::netfs_whole_folio_modify;
        goto mark_uptodate;
      }
      if (copied == 0) goto copy_failed;
      if (finfo == nullptr || copied <= finfo->dirty_offset) {
        mark(kMarkCopyShortRetry);
        maybe_trouble = true;
        iov_iter_revert(iter, copied);
        copied = 0;
        folio_unlock(*folio);
        goto retry;
      }
      // We overwrote some existing dirty data, so we have to accept the
      // partial write.
      finfo->dirty_len += finfo->dirty_offset;
      if (finfo->dirty_len == flen) {
        trace = NetfsFolioTrace::netfs_whole_folio_modify_filled_efault;
        goto mark_uptodate;
      }
      if (copied > finfo->dirty_len) finfo->dirty_len = static_cast<std::uint32_t>(copied);
      finfo->dirty_offset = 0;
      trace = NetfsFolioTrace::netfs_whole_folio_modify_efault;
      goto copied;
    }

    // No streaming write on a file that loses caching service temporarily
    // because the backing store got culled. b61cbeadaa83 (7.2-rc2): asked
    // of FSCACHE_COOKIE_IS_CACHING (netfs_is_cache_maybe_enabled()), which a
    // direct write's disabling of the cookie leaves set.
    if (ctx.cache_is_caching || variant::no_streaming_for_readable_file(ctx, file)) {
      if (finfo != nullptr) goto flush_content;
      ret = netfs_prefetch_for_write(file, *folio, offset, part);
      if (ret < 0) goto error_folio_unlock;
      // Note that copy-to-cache may have been set.
      copied = copy_folio_from_iter_atomic(*folio, offset, part, iter);
      if (copied == 0) goto copy_failed;
      trace = NetfsFolioTrace::netfs_just_prefetch;
      goto copied_uptodate;
    }

    // A streaming write on a folio that has nothing in it yet.
    if (finfo == nullptr) {
      ret = kEIO;
      SIM_ASSERT_MSG(folio->priv.kind == FolioPrivate::Kind::none, "WARN_ON: folio {} has private data {}",
                     folio->id, static_cast<int>(folio->priv.kind));
      copied = copy_folio_from_iter_atomic(*folio, offset, part, iter);
      if (copied == 0) goto copy_failed;
      if (offset == 0 && copied == flen) {
        trace = NetfsFolioTrace::netfs_streaming_filled_page;
        goto mark_uptodate;
      }
      finfo = new NetfsFolio{netfs_group, static_cast<std::uint32_t>(offset), static_cast<std::uint32_t>(copied)};
      if (netfs_group != nullptr) ++netfs_group->ref;  // netfs_get_group
      folio_attach_private(*folio, {FolioPrivate::Kind::streaming, nullptr, finfo});
      trace = NetfsFolioTrace::netfs_streaming_write;
      goto copied;
    }

    // A streaming write continues only from where the previous one ended;
    // an overlap must flush lest a partial copy leave disjoint dirty regions.
    if (offset == finfo->dirty_offset + finfo->dirty_len) {
      copied = copy_folio_from_iter_atomic(*folio, offset, part, iter);
      if (copied == 0) goto copy_failed;
      finfo->dirty_len += static_cast<std::uint32_t>(copied);
      if (finfo->dirty_offset == 0 && finfo->dirty_len == flen) {
        trace = NetfsFolioTrace::netfs_streaming_cont_filled_page;
        goto mark_uptodate;
      }
      trace = NetfsFolioTrace::netfs_streaming_write_cont;
      goto copied;
    }

    // Incompatible write; flush the folio and try again.
  flush_content:
    trace_netfs_folio(*folio, NetfsFolioTrace::netfs_flush_content);
    folio_unlock(*folio);
    folio_put(*folio);
    folio = nullptr;
    ret = filemap_write_and_wait_range(mapping, fpos, fpos + static_cast<loff_t>(flen) - 1);
    if (ret < 0) goto out;
    continue;

    // A folio filled completely becomes uptodate; a netfs_folio record goes.
  mark_uptodate:
    folio_mark_uptodate(*folio);

  copied_uptodate:
    if (variant::perform_write_set_group(*folio, netfs_group, trace)) {
      // a historical variant did it
    } else if (folio->priv.kind == FolioPrivate::Kind::none && netfs_group == nullptr) {
      // Already set correctly; no change required.
    } else if (folio->priv.kind == FolioPrivate::Kind::group && folio->priv.group == netfs_group) {
      // Already set correctly; no change required.
    } else if (folio->priv.kind == FolioPrivate::Kind::copy_to_cache) {
      if (netfs_group == nullptr) {
        folio_detach_private(*folio);
      } else {
        ++netfs_group->ref;
        folio_change_private(*folio, {FolioPrivate::Kind::group, netfs_group, nullptr});
      }
    } else if (folio->priv.kind == FolioPrivate::Kind::none) {
      ++netfs_group->ref;
      folio_attach_private(*folio, {FolioPrivate::Kind::group, netfs_group, nullptr});
    } else {
      SIM_ASSERT_MSG(finfo != nullptr, "WARN_ON_ONCE: folio {} has private data but no netfs_folio", folio->id);
      if (netfs_group != nullptr)  // finfo->netfs_group has a ref
        folio_change_private(*folio, {FolioPrivate::Kind::group, netfs_group, nullptr});
      else
        folio_detach_private(*folio);
      free_finfo(finfo);
    }

  copied:
    trace_netfs_folio(*folio, trace);
    MODEL_EVENT(data_stored(ctx, pos, std::span(iter.ubuf).subspan(iter.iov_offset - copied, copied)));
    MODEL_EVENT(group_stored(*folio, netfs_group));

    // Update the inode size if we moved the EOF marker.
    netfs_update_i_size(ctx, pos, copied);
    pos += static_cast<loff_t>(copied);
    written += static_cast<std::int64_t>(copied);

    if (wreq == nullptr) {
      folio_mark_dirty(*folio);
      folio_unlock(*folio);
    } else {
      netfs_advance_writethrough(*wreq, wbc, *folio, copied, offset + copied == flen, &writethrough);
      // Folio unlocked
    }
  retry:
    folio_put(*folio);
    folio = nullptr;

    // balance_dirty_pages_ratelimited_flags(): after every folio, buffered
    // or writethrough (the model has no IOCB_NOWAIT, so it never fails).
    balance_dirty_pages_ratelimited(mapping);
    ret = 0;
    sim::yield();  // cond_resched()
  } while (iov_iter_count(iter) != 0);

out:
  if (wreq != nullptr) {
    const std::int64_t ret2 = netfs_end_writethrough(*wreq, wbc, writethrough);
    // An asynchronous kiocb completes with the request's value (ki_complete;
    // -EIOCBQUEUED until then): the model returns what ki_complete gets.
    if (options.aio) return ret2;
    if (ret == 0 && ret2 < 0) ret = ret2;
  }
  iocb.ki_pos += written;
  return written != 0 ? written : ret;

copy_failed:
  // generic_perform_write() faults the user page in again and retries, and
  // fails only if the fault-in does; netfs gives up: write(2) of a valid
  // buffer returns -EFAULT when nothing was written yet (docs/findings.md F21).
  if (written == 0) sim::known_finding_reached(kFindingEfaultForValidBuffer);
  ret = kEFAULT;
error_folio_unlock:
  folio_unlock(*folio);
  folio_put(*folio);
  folio = nullptr;
  goto out;
}

// netfs_buffered_write_iter_locked(): file_remove_privs and
// file_update_time have nothing to do in the model.
std::int64_t netfs_buffered_write_iter_locked(Kiocb& iocb, IovIter& from, NetfsGroup* netfs_group,
                                              const WriteOptions& options) {
  return netfs_perform_write(iocb, from, netfs_group, options);
}

// netfs_file_write_iter(). The buffered path's events bracket
// netfs_perform_write, under the inode lock.
std::int64_t netfs_file_write_iter(Kiocb& iocb, IovIter& from, const WriteOptions& options) {
  NetfsInode& ictx = *iocb.ki_filp->inode;
  const loff_t pos = iocb.ki_pos;
  if (iov_iter_count(from) == 0) return 0;
  if ((iocb.ki_flags & IOCB_DIRECT) || ictx.unbuffered) {
    const std::vector<std::uint8_t> data(iov_iter_remaining(from).begin(), iov_iter_remaining(from).end());
    return netfs_unbuffered_write_call(*iocb.ki_filp, pos, data, iocb.ki_flags, options.aio);
  }
  std::int64_t ret = netfs_start_io_write(ictx);
  if (ret < 0) return ret;
  MODEL_EVENT(netfs_exclusion(ictx, /*dio=*/false, /*enter=*/true));
  {
    const auto data = iov_iter_remaining(from);
    MODEL_EVENT(write_begin(ictx, pos, data.size(), false));
    ret = netfs_buffered_write_iter_locked(iocb, from, options.group, options);
    MODEL_EVENT(write_returned(ictx, pos, data, ret, false));
  }
  MODEL_EVENT(netfs_exclusion(ictx, /*dio=*/false, /*enter=*/false));
  netfs_end_io_write(ictx);
  // generic_write_sync(): an O_SYNC/O_DSYNC write syncs what it wrote
  // (vfs_fsync_range, the filesystem's ->fsync), after the inode lock. The
  // model's asynchronous writethrough has already waited (see netfs.h).
  if (ret > 0 && (iocb.ki_flags & (IOCB_DSYNC | IOCB_SYNC)) && !options.aio) {
    const int err = netfs_fsync_range(*iocb.ki_filp, pos, pos + ret - 1);
    if (err < 0) ret = err;
  }
  return ret;
}

std::int64_t netfs_file_write(NetfsFile& file, loff_t pos, const std::vector<std::uint8_t>& data,
                              const WriteOptions& options) {
  Kiocb iocb{&file, pos, file.f_iocb_flags | (options.writethrough ? IOCB_DSYNC : 0u), {}};
  IovIter from = iov_iter_ubuf(data);
  return netfs_file_write_iter(iocb, from, options);
}

}  // namespace wbsim::model
