//! fs/iomap/buffered-io.c as the FUSE client of Linux 6.18 uses it: the
//! per-folio block state (struct iomap_folio_state: one uptodate and one
//! dirty bit per block), the buffered write (iomap_write_iter with
//! __iomap_write_begin / __iomap_write_end), iomap_dirty_folio, and
//! writeback of the dirty ranges of each folio (iomap_writepages,
//! iomap_writeback_folio, iomap_find_dirty_range) through the
//! filesystem's ->writeback_range and ->writeback_submit.
//!
//! A folio of one block carries no iomap_folio_state (its flags say it
//! all), as in the kernel. The state lives on the FUSE inode, keyed by the
//! folio's id, instead of folio->private (nothing else in the model
//! attaches private data to FUSE folios). Not modelled: unshare, DAX,
//! inline data, the read-side pending counters, IOMAP_F_NEW.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/fuse/fuse.h"

namespace wbsim::model {

struct IomapFolioState {
  std::vector<bool> uptodate;  // per block
  std::vector<bool> dirty;     // per block
  std::uint64_t write_bytes_pending = 0;
};

struct FuseFillWbData;

// struct iomap_writepage_ctx, with the FUSE context (wpc->wb_ctx).
struct IomapWritepageCtx {
  FuseInode* inode = nullptr;
  WritebackControl* wbc = nullptr;  // null when laundering
  FuseFillWbData* data = nullptr;
  unsigned nr_folios = 0;
};

unsigned i_blocks_per_folio(const FuseInode& fi, const Folio& folio);
IomapFolioState* folio_ifs(FuseInode& fi, const Folio& folio);
void iomap_set_range_uptodate(FuseInode& fi, Folio& folio, std::uint64_t off, std::uint64_t len);
void iomap_set_range_dirty(FuseInode& fi, Folio& folio, std::uint64_t off, std::uint64_t len);
// ->dirty_folio: the whole folio's blocks dirty, then filemap_dirty_folio.
bool iomap_dirty_folio(FuseInode& fi, Folio& folio);
// ->invalidate_folio for the whole folio and ->release_folio: the state goes.
void iomap_free_folio_state(FuseInode& fi, const Folio& folio);
// ->invalidate_folio (iomap_invalidate_folio): the whole folio going
// cancels its dirty state and frees its block state; a part of it, nothing.
void iomap_invalidate_folio(Folio& folio, std::uint64_t offset, std::uint64_t length);
// Page migration moved src to dst: so does the state (in the kernel it is
// folio->private, which filemap_migrate_folio moves).
void iomap_migrate_folio_state(FuseInode& fi, const Folio& dst, const Folio& src);
// ->release_folio (iomap_release_folio): a dirty folio keeps its state.
bool iomap_release_folio(Folio& folio);

// iomap_file_buffered_write() with fuse_iomap_ops (every range MAPPED) and
// fuse_iomap_write_ops (->read_folio_range is a synchronous FUSE_READ):
// the bytes written, or a negative errno if none were.
std::int64_t iomap_file_buffered_write(FuseFile& file, loff_t pos, std::span<const std::uint8_t> data);

// Writeback.
int iomap_writepages(IomapWritepageCtx& wpc);
int iomap_writeback_folio(IomapWritepageCtx& wpc, Folio& folio);
void iomap_start_folio_write(FuseInode& fi, Folio& folio, std::uint64_t len);
void iomap_finish_folio_write(FuseInode& fi, Folio& folio, std::uint64_t len);

}  // namespace wbsim::model
