// fs/iomap/buffered-io.c (Linux 6.18), the parts the FUSE client uses.
#include "model/iomap/buffered_io.h"

#include <algorithm>
#include <cstring>

#include "model/events.h"
#include "model/fuse/internal.h"
#include "model/mm/filemap.h"
#include "model/mm/page_writeback.h"
#include "model/mm/truncate.h"
#include "model/mm/variants.h"
#include "sim/assert.h"
#include "sim/coverage.h"

namespace wbsim::model {

WBSIM_MARK_IN(kMarkIomapReadBlock, "iomap.write_begin_read", "fsx/*", "a partial write read its block first");
WBSIM_MARK_IN(kMarkIomapZeroBlock, "iomap.write_begin_zero", "fsx/*", "a partial write past EOF zeroed its block");
WBSIM_MARK_IN(kMarkIomapBeyondEof, "iomap.writeback_beyond_eof", "fsx/*", "writeback skipped a folio beyond EOF");

namespace {

// inode->i_blkbits: the page size whatever block size the server reports or
// a fuseblk mount asks for, since reads do not go through iomap and a
// smaller block could leave a page partly up to date for fuse_read_folio
// to read over ("fuse: fix fuseblk i_blkbits for iomap partial writes",
// 542ede096e48); before, the mount's (--bug fuse-iomap-subpage-blocks).
unsigned i_blkbits(const FuseInode& fi) {
  return variant::fuse_blocks_below_page_size() ? fi.fc->options().blkbits : kPageShift;
}

std::uint64_t block_size(const FuseInode& fi) { return std::uint64_t{1} << i_blkbits(fi); }

IomapFolioState* ifs_alloc(FuseInode& fi, Folio& folio) {
  if (IomapFolioState* ifs = folio_ifs(fi, folio)) return ifs;
  const unsigned n = i_blocks_per_folio(fi, folio);
  auto state = std::make_unique<IomapFolioState>();
  state->uptodate.assign(n, folio_test_uptodate(folio));
  state->dirty.assign(n, folio_test_dirty(folio));
  IomapFolioState* raw = state.get();
  fi.ifs[folio.id] = std::move(state);
  return raw;
}

// The blocks [first, last] of a byte range of the folio.
std::pair<unsigned, unsigned> block_span(const FuseInode& fi, std::uint64_t off, std::uint64_t len) {
  const unsigned bits = i_blkbits(fi);
  return {static_cast<unsigned>(off >> bits), static_cast<unsigned>((off + len - 1) >> bits)};
}

// __iomap_write_begin: bring every block the write covers only in part up
// to date, by zeroing it (at or past EOF) or reading it from the server.
int iomap_write_begin_blocks(FuseFile& file, Folio& folio, loff_t pos, std::uint64_t len) {
  FuseInode& fi = *file.inode;
  if (folio_test_uptodate(folio)) return 0;
  const std::uint64_t bs = block_size(fi);
  IomapFolioState* ifs = i_blocks_per_folio(fi, folio) > 1 ? ifs_alloc(fi, folio) : nullptr;
  const std::uint64_t from = static_cast<std::uint64_t>(pos - folio.pos());
  const std::uint64_t to = from + len;
  for (std::uint64_t poff = from / bs * bs; poff < to; poff += bs) {
    const unsigned blk = static_cast<unsigned>(poff / bs);
    if (ifs != nullptr && ifs->uptodate[blk]) continue;  // iomap_adjust_read_range
    const bool covered = from <= poff && to >= poff + bs;
    if (covered) continue;
    const loff_t block_start = folio.pos() + static_cast<loff_t>(poff);
    if (block_start >= fi.i_size) {  // iomap_block_needs_zeroing: MAPPED, never F_NEW
      sim::mark(kMarkIomapZeroBlock);
      folio_zero_segment(folio, poff, std::max(poff, from));
      folio_zero_segment(folio, std::min(poff + bs, to), poff + bs);
    } else {
      sim::mark(kMarkIomapReadBlock);
      if (const int err = fuse_do_readfolio(file, folio, poff, bs); err != 0) return err;
    }
    iomap_set_range_uptodate(fi, folio, poff, bs);
  }
  return 0;
}

}  // namespace

unsigned i_blocks_per_folio(const FuseInode& fi, const Folio& folio) {
  return static_cast<unsigned>(folio.size() >> i_blkbits(fi));
}

IomapFolioState* folio_ifs(FuseInode& fi, const Folio& folio) {
  auto it = fi.ifs.find(folio.id);
  return it == fi.ifs.end() ? nullptr : it->second.get();
}

void iomap_free_folio_state(FuseInode& fi, const Folio& folio) {
  if (IomapFolioState* ifs = folio_ifs(fi, folio)) SIM_ASSERT_CMP(ifs->write_bytes_pending, ==, 0u);
  fi.ifs.erase(folio.id);
}

void iomap_invalidate_folio(Folio& folio, std::uint64_t offset, std::uint64_t length) {
  if (offset != 0 || length != folio.size()) return;
  SIM_ASSERT_MSG(!folio_test_writeback(folio), "folio {} invalidated whole under writeback (WARN_ON_ONCE)",
                 folio.index);
  folio_cancel_dirty(folio);
  iomap_free_folio_state(fuse_inode(*folio.mapping), folio);
}

void iomap_migrate_folio_state(FuseInode& fi, const Folio& dst, const Folio& src) {
  auto it = fi.ifs.find(src.id);
  if (it == fi.ifs.end()) return;
  fi.ifs[dst.id] = std::move(it->second);
  fi.ifs.erase(src.id);
}

bool iomap_release_folio(Folio& folio) {
  if (folio_test_dirty(folio)) return false;
  iomap_free_folio_state(fuse_inode(*folio.mapping), folio);
  return true;
}

void iomap_set_range_uptodate(FuseInode& fi, Folio& folio, std::uint64_t off, std::uint64_t len) {
  IomapFolioState* ifs = folio_ifs(fi, folio);
  if (ifs == nullptr) {
    folio_mark_uptodate(folio);
    return;
  }
  const auto [first, last] = block_span(fi, off, len);
  for (unsigned b = first; b <= last; ++b) ifs->uptodate[b] = true;
  if (std::all_of(ifs->uptodate.begin(), ifs->uptodate.end(), [](bool u) { return u; })) folio_mark_uptodate(folio);
}

void iomap_set_range_dirty(FuseInode& fi, Folio& folio, std::uint64_t off, std::uint64_t len) {
  IomapFolioState* ifs = folio_ifs(fi, folio);
  if (ifs == nullptr || len == 0) return;
  const auto [first, last] = block_span(fi, off, len);
  for (unsigned b = first; b <= last; ++b) ifs->dirty[b] = true;
}

bool iomap_dirty_folio(FuseInode& fi, Folio& folio) {
  if (i_blocks_per_folio(fi, folio) > 1) ifs_alloc(fi, folio);
  iomap_set_range_dirty(fi, folio, 0, folio.size());
  return folio_mark_dirty(folio);  // filemap_dirty_folio
}

std::int64_t iomap_file_buffered_write(FuseFile& file, loff_t pos, std::span<const std::uint8_t> data) {
  FuseInode& fi = *file.inode;
  std::uint64_t written = 0;
  const unsigned max_order = fi.fc->options().max_folio_order;
  const std::uint64_t chunk = kPageSize << max_order;  // mapping_max_folio_size
  while (written < data.size()) {
    const loff_t at = pos + static_cast<loff_t>(written);
    const std::uint64_t offset = static_cast<std::uint64_t>(at) & (chunk - 1);
    std::uint64_t bytes = std::min(chunk - offset, data.size() - written);
    // __iomap_get_folio: FGP_WRITEBEGIN; FGP_STABLE waits for nothing on a
    // FUSE mapping (no stable pages).
    const pgoff_t index = static_cast<pgoff_t>(at) >> kPageShift;
    Folio* folio = filemap_get_folio(fi.mapping, index);
    if (folio == nullptr) {
      // fgf_set_order(len): the order of the chunk's length, which
      // __filemap_get_folio lowers to the index's alignment.
      unsigned order = 0;
      while (order < max_order && (kPageSize << (order + 1)) <= bytes) ++order;
      folio = filemap_alloc_and_add_folio(fi.mapping, index, order);
    } else {
      folio_get(*folio);
      folio_lock(*folio);
    }
    const loff_t folio_end = folio->pos() + static_cast<loff_t>(folio->size());
    if (at + static_cast<loff_t>(bytes) > folio_end) bytes = static_cast<std::uint64_t>(folio_end - at);
    if (const int err = iomap_write_begin_blocks(file, *folio, at, bytes); err != 0) {
      folio_unlock(*folio);
      folio_put(*folio);
      return written > 0 ? static_cast<std::int64_t>(written) : err;
    }
    const std::uint64_t off = static_cast<std::uint64_t>(at - folio->pos());
    std::memcpy(folio->data.data() + off, data.data() + written, bytes);
    // __iomap_write_end
    iomap_set_range_uptodate(fi, *folio, off, bytes);
    iomap_set_range_dirty(fi, *folio, off, bytes);
    folio_mark_dirty(*folio);
    // iomap_write_iter: i_size moves before the folio is unlocked.
    if (at + static_cast<loff_t>(bytes) > fi.i_size) fi.i_size = at + static_cast<loff_t>(bytes);
    folio_unlock(*folio);
    folio_put(*folio);
    written += bytes;
    balance_dirty_pages_ratelimited(fi.mapping);
  }
  return static_cast<std::int64_t>(written);
}

int iomap_writepages(IomapWritepageCtx& wpc) {
  AddressSpace& mapping = wpc.inode->mapping;
  Folio* folio = nullptr;
  int error = 0;
  while ((folio = writeback_iter(mapping, *wpc.wbc, folio, &error)) != nullptr) {
    error = iomap_writeback_folio(wpc, *folio);
    folio_unlock(*folio);
  }
  // Always ->writeback_submit: it ends what was gathered, error or not.
  return fuse_iomap_writeback_submit(wpc, error);
}

namespace {

// iomap_writeback_handle_eof: false for a folio wholly beyond i_size; a
// folio straddling it is zeroed past it and written up to it.
bool iomap_writeback_handle_eof(FuseInode& fi, Folio& folio, std::uint64_t* end_pos) {
  const auto isize = static_cast<std::uint64_t>(fi.i_size);
  if (*end_pos <= isize) return true;
  const std::uint64_t poff = isize - std::min<std::uint64_t>(isize, static_cast<std::uint64_t>(folio.pos()));
  const pgoff_t end_index = isize >> kPageShift;
  const pgoff_t last = folio.index + folio.nr_pages() - 1;
  if (folio.index > end_index || (last >= end_index && isize <= static_cast<std::uint64_t>(folio.pos()))) return false;
  folio_zero_segment(folio, poff, folio.size());
  *end_pos = isize;
  return true;
}

// iomap_find_dirty_range: the next run of dirty blocks in [*start, end).
std::uint64_t iomap_find_dirty_range(FuseInode& fi, Folio& folio, std::uint64_t* start, std::uint64_t end) {
  if (*start >= end) return 0;
  IomapFolioState* ifs = folio_ifs(fi, folio);
  if (ifs == nullptr) return end - *start;
  const unsigned bits = i_blkbits(fi);
  const auto fpos = static_cast<std::uint64_t>(folio.pos());
  unsigned blk = static_cast<unsigned>((*start - fpos) >> bits);
  const unsigned end_blk = std::min<unsigned>(static_cast<unsigned>((end - fpos + (1u << bits) - 1) >> bits),
                                              i_blocks_per_folio(fi, folio));
  while (blk < end_blk && !ifs->dirty[blk]) ++blk;
  if (blk == end_blk) return 0;
  unsigned n = 1;
  while (blk + n < end_blk && ifs->dirty[blk + n]) ++n;
  *start = fpos + (std::uint64_t{blk} << bits);
  return std::uint64_t{n} << bits;
}

}  // namespace

int iomap_writeback_folio(IomapWritepageCtx& wpc, Folio& folio) {
  FuseInode& fi = *wpc.inode;
  SIM_ASSERT(folio_test_locked(folio));
  SIM_ASSERT(!folio_test_dirty(folio));      // WARN_ON_ONCE in the kernel
  SIM_ASSERT(!folio_test_writeback(folio));  // likewise
  auto pos = static_cast<std::uint64_t>(folio.pos());
  std::uint64_t end_pos = pos + folio.size();
  if (!iomap_writeback_handle_eof(fi, folio, &end_pos)) {
    sim::mark(kMarkIomapBeyondEof);
    return 0;
  }
  SIM_ASSERT_CMP(end_pos, >, pos);
  IomapFolioState* ifs = nullptr;
  if (i_blocks_per_folio(fi, folio) > 1) {
    ifs = folio_ifs(fi, folio);
    if (ifs == nullptr) {
      ifs = ifs_alloc(fi, folio);
      iomap_set_range_dirty(fi, folio, 0, end_pos - pos);
    }
    SIM_ASSERT_CMP(ifs->write_bytes_pending, ==, 0u);
    iomap_start_folio_write(fi, folio, 1);  // the bias until every range is submitted
  }
  folio_start_writeback(folio);
  const std::uint64_t bs = block_size(fi);
  const std::uint64_t end_aligned = (end_pos + bs - 1) / bs * bs;
  std::uint64_t submitted = 0;
  int error = 0;
  while (const std::uint64_t rlen = iomap_find_dirty_range(fi, folio, &pos, end_aligned)) {
    // iomap_writeback_range: ->writeback_range until the run is consumed.
    std::uint64_t left = rlen;
    while (left > 0) {
      const std::int64_t ret = fuse_iomap_writeback_range(wpc, folio, pos, left, end_pos);
      if (ret < 0) {
        error = static_cast<int>(ret);
        break;
      }
      SIM_ASSERT(ret > 0 && static_cast<std::uint64_t>(ret) <= left);
      left -= static_cast<std::uint64_t>(ret);
      pos += static_cast<std::uint64_t>(ret);
      submitted += static_cast<std::uint64_t>(ret);
    }
    if (error != 0) break;
  }
  if (submitted > 0) ++wpc.nr_folios;
  if (ifs != nullptr) {
    std::fill(ifs->dirty.begin(), ifs->dirty.end(), false);
    iomap_finish_folio_write(fi, folio, 1);
  } else if (submitted == 0) {
    folio_end_writeback(folio);
  }
  mapping_set_error(fi.mapping, error);
  return error;
}

void iomap_start_folio_write(FuseInode& fi, Folio& folio, std::uint64_t len) {
  if (IomapFolioState* ifs = folio_ifs(fi, folio)) ifs->write_bytes_pending += len;
}

void iomap_finish_folio_write(FuseInode& fi, Folio& folio, std::uint64_t len) {
  IomapFolioState* ifs = folio_ifs(fi, folio);
  if (ifs == nullptr) {
    folio_end_writeback(folio);
    return;
  }
  SIM_ASSERT_CMP(ifs->write_bytes_pending, >=, len);
  ifs->write_bytes_pending -= len;
  if (ifs->write_bytes_pending == 0) folio_end_writeback(folio);
}

}  // namespace wbsim::model
