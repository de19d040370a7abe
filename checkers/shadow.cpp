#include "checkers/shadow.h"

#include <algorithm>

#include "model/backend/server.h"
#include "model/mm/page_writeback.h"
#include "model/netfs/internal.h"

namespace wbsim::checkers {

void Shadow::resize(File& f, std::uint64_t size) {
  const std::uint64_t old = f.size();
  f.data.resize(size, 0);
  f.gen.resize(size, seq_);
  f.known.resize(size, 1);
  // Bytes a shrink dropped and an extension brought back are zeros now
  // (resize filled them with the current sequence number).
  for (const auto& [from, to] : f.limbo) {
    for (std::uint64_t b = std::max(from, old); b < std::min(to, size); ++b) f.known[b] = 0;
  }
}

void Shadow::forget(File& f, std::uint64_t from, std::uint64_t to) {
  ++f.errors;
  to = std::min(to, f.size());
  if (from < to) std::fill(f.known.begin() + static_cast<std::ptrdiff_t>(from), f.known.begin() + static_cast<std::ptrdiff_t>(to), std::uint8_t{0});
}

void Shadow::data_stored(const model::NetfsInode& inode, model::loff_t pos, std::span<const std::uint8_t> data) {
  File& f = file(inode.ino);
  ++seq_;
  const auto p = static_cast<std::uint64_t>(pos);
  if (f.size() < p + data.size()) resize(f, p + data.size());
  std::copy(data.begin(), data.end(), f.data.begin() + static_cast<std::ptrdiff_t>(p));
  std::fill_n(f.gen.begin() + static_cast<std::ptrdiff_t>(p), data.size(), seq_);
  std::fill_n(f.known.begin() + static_cast<std::ptrdiff_t>(p), data.size(), std::uint8_t{1});
}

void Shadow::write_returned(const model::NetfsInode& inode, model::loff_t pos, std::span<const std::uint8_t> data,
                            std::int64_t ret, bool unbuffered) {
  if (!unbuffered) return;  // buffered bytes were recorded as they were stored
  // An unbuffered write stores on the server directly: the returned count
  // is known written; past it, some bytes may or may not have landed.
  const std::uint64_t done = ret > 0 ? std::min<std::uint64_t>(static_cast<std::uint64_t>(ret), data.size()) : 0;
  if (done > 0) data_stored(inode, pos, data.first(done));
  if (done < data.size()) {
    File& f = file(inode.ino);
    const auto from = static_cast<std::uint64_t>(pos) + done;
    const auto to = static_cast<std::uint64_t>(pos) + data.size();
    forget(f, from, to);
    if (to > f.size()) f.limbo.emplace_back(std::max(from, f.size()), to);
  }
}

void Shadow::i_size_changed(const model::NetfsInode& inode, model::loff_t old_size, model::loff_t new_size,
                            bool truncate) {
  File& f = file(inode.ino);
  ++seq_;
  // A truncate cuts the server's file too: nothing is left past it.
  if (truncate) f.limbo.clear();
  if (truncate || static_cast<std::uint64_t>(new_size) > f.size()) resize(f, static_cast<std::uint64_t>(new_size));
}

void Shadow::range_op_done(const model::NetfsInode& inode, model::RangeOp op, model::loff_t offset,
                           std::uint64_t len, model::loff_t dest, bool keep_size) {
  File& f = file(inode.ino);
  ++seq_;
  // The bytes follow the operation's one definition; their sequence
  // numbers and known flags move with them, and bytes the operation wrote
  // (zeros, copies) are stores of this moment.
  const auto off = static_cast<std::uint64_t>(offset);
  const auto dst = static_cast<std::uint64_t>(dest);
  const std::uint64_t old_size = f.size();
  std::vector<std::uint8_t> known_src;
  if (op == model::RangeOp::copy_range) known_src.assign(f.known.begin() + static_cast<long>(off), f.known.begin() + static_cast<long>(off + len));
  model::apply_range_op(f.data, op, off, len, dst, keep_size);
  auto stamp = [&](std::uint64_t from, std::uint64_t to) {
    to = std::min<std::uint64_t>(to, f.gen.size());
    for (std::uint64_t b = from; b < to; ++b) {
      f.gen[b] = seq_;
      f.known[b] = 1;
    }
  };
  switch (op) {
    case model::RangeOp::collapse_range:
      f.gen.erase(f.gen.begin() + static_cast<long>(off), f.gen.begin() + static_cast<long>(off + len));
      f.known.erase(f.known.begin() + static_cast<long>(off), f.known.begin() + static_cast<long>(off + len));
      break;
    case model::RangeOp::insert_range:
      f.gen.insert(f.gen.begin() + static_cast<long>(off), len, seq_);
      f.known.insert(f.known.begin() + static_cast<long>(off), len, 1);
      break;
    default:
      f.gen.resize(f.data.size(), seq_);
      f.known.resize(f.data.size(), 1);
      if (f.data.size() > old_size) stamp(old_size, f.data.size());
      if (op == model::RangeOp::punch_hole || op == model::RangeOp::zero_range) stamp(off, off + len);
      if (op == model::RangeOp::copy_range) {
        // The copies are as known as their sources (an error may have lost
        // a source byte), also where the copy extends the file.
        stamp(dst, dst + len);
        for (std::uint64_t k = 0; k < len; ++k) f.known[dst + k] = known_src[k];
      }
      break;
  }
  SIM_ASSERT(f.gen.size() == f.data.size() && f.known.size() == f.data.size());
}

void Shadow::mapping_error(const model::AddressSpace& m, int error) {
  if (m.host_kind != model::AddressSpace::HostKind::netfs) return;  // FUSE files: writeback-truth's own shadow
  const auto& inode = *static_cast<const model::NetfsInode*>(m.host);
  File& f = file(inode.ino);
  const auto it = collecting_.find(current_fiber());
  if (it == collecting_.end() || it->second->inode != &inode) {
    forget(f, 0, f.size());  // an error of no known request: it may cover anything
    return;
  }
  // The collector of a buffered request records its failed upload: the
  // error covers the failed subrequest from what it transferred on, and
  // every folio the request holds past it (the collector cancels the rest
  // of the stream). Folios given to the request later are not covered:
  // their loss goes unreported (docs/findings.md, F5).
  const model::NetfsIoRequest& wreq = *it->second;
  const model::NetfsIoStream& upload = wreq.io_streams[0];
  if (upload.subrequests.empty()) {
    forget(f, 0, f.size());
    return;
  }
  const model::NetfsIoSubrequest& failed = *upload.subrequests.front();
  const auto from = static_cast<std::uint64_t>(failed.start) + failed.transferred;
  std::uint64_t to = static_cast<std::uint64_t>(failed.start) + failed.len;
  model::rolling_buffer_for_each(wreq.buffer, [&](const model::Folio& folio) {
    to = std::max<std::uint64_t>(to, static_cast<std::uint64_t>(folio.pos()) + folio.size());
  });
  for (const model::NetfsIoSubrequest* s : upload.subrequests)
    to = std::max<std::uint64_t>(to, static_cast<std::uint64_t>(s->start) + s->len);
  forget(f, from, to);
}

void Shadow::folio_written_back(const model::NetfsIoRequest* wreq, const model::Folio& f, model::loff_t dirty_end) {
  if (wreq == nullptr || !wreq->io_streams[0].active || !wreq->io_streams[0].failed) return;
  File& file_ = file(wreq->inode->ino);
  const auto from = static_cast<std::uint64_t>(f.pos());
  file_.unreported.push_back({from, from + f.size(), seq_});
}

void Shadow::fsync_returned(const model::NetfsInode& inode, int ret, model::loff_t start, model::loff_t end) {
  (void)start;
  (void)end;
  error_reported(inode, ret);
}

void Shadow::sync_file_range_returned(const model::NetfsInode& inode, int ret) { error_reported(inode, ret); }

void Shadow::error_reported(const model::NetfsInode& inode, int ret) {
  // The error is the file's (errseq), whatever range the call covered. The
  // bytes its recording covered were forgotten then; it also covers the
  // folios a failed request cleaned later without a second error.
  File& f = file(inode.ino);
  if (ret >= 0 || f.unreported.empty()) return;
  ++f.errors;
  for (const File::Lost& l : f.unreported) {
    for (std::uint64_t b = l.from; b < std::min(l.to, f.size()); ++b) {
      if (f.gen[b] <= l.seq) f.known[b] = 0;
    }
  }
  f.unreported.clear();
}

void Shadow::writepages_returned(const model::AddressSpace& m, const model::WritebackControl& wbc, int ret) {
  // ->writepages failing before I/O (netfs_kill_dirty_pages) cleans folios
  // without writing them and records no mapping error.
  if (ret < 0) mapping_error(m, ret);
}

}  // namespace wbsim::checkers
