// ordered-extension (N19): the server extends a file to the end of every
// write it applies (AFS's rule: size = max(size, end)), so a write landing
// beyond EOF leaves a hole of zeros below it. Such a hole is transient only
// while the client still holds the data that belongs there (dirty, under
// writeback, or in a write that has not returned); at quiescence none may
// remain unless an error may have lost that data.
//
// Strict mode (Options::strict_extension) also requires extension in
// ascending order: no extending write is issued while an extending write
// with a lower start is still in flight.
#include <algorithm>
#include <map>
#include <vector>

#include "checkers/shadow.h"
#include "model/backend/server.h"
#include "model/mm/filemap.h"
#include "model/world.h"

namespace wbsim::checkers {

WBSIM_CHECKER(kOrderedExtension, "ordered-extension",
              "a hole below data written past EOF exists only while its data is pending (N19)");

namespace {

class OrderedExtension final : public Checker {
 public:
  OrderedExtension(Shadow& shadow, const Options& options) : shadow_(shadow), strict_(options.strict_extension) {}

  void world_created(model::World& w) override { world_ = &w; }
  void world_destroyed(model::World& w) override { world_ = nullptr; }

  // A write that has not returned is in flight as a whole: an unbuffered
  // one until its RPCs end, a buffered one between storing a byte and
  // marking its folio dirty (the kernel does both under the folio lock).
  void write_begin(const model::NetfsInode& inode, model::loff_t pos, std::uint64_t len, bool unbuffered) override {
    writes_[current_fiber()] = {inode.ino, pos, pos + static_cast<model::loff_t>(len)};
  }
  void write_returned(const model::NetfsInode& inode, model::loff_t pos, std::span<const std::uint8_t> data,
                      std::int64_t ret, bool unbuffered) override {
    writes_.erase(current_fiber());
  }

  // A hole punch or zero range drops the dirty folios over its range before
  // the server zeroes it (cifs writes nothing back first): until it returns
  // its range is a write of zeros in flight.
  void range_op_begin(const model::NetfsInode& inode, model::RangeOp op, model::loff_t offset,
                      std::uint64_t len) override {
    if (op == model::RangeOp::punch_hole || op == model::RangeOp::zero_range)
      zeroing_[current_fiber()] = {inode.ino, offset, offset + static_cast<model::loff_t>(len)};
  }
  void range_op_returned(const model::NetfsInode& inode, model::RangeOp op, model::loff_t offset, std::uint64_t len,
                         int ret) override {
    zeroing_.erase(current_fiber());
  }

  void subreq_issued(const model::NetfsIoSubrequest& r, bool retry) override {
    if (r.source != model::NetfsIoSource::upload_to_server || world_ == nullptr) return;
    const model::NetfsInode& inode = *r.rreq->inode;
    const model::loff_t end = r.start + static_cast<model::loff_t>(r.len);
    const auto server_size = static_cast<model::loff_t>(world_->server().file(inode.ino).data.size());
    if (end <= server_size) return;
    auto& mine = extending_[inode.ino];
    if (strict_) {
      for (const auto& [k, e] : mine) {
        WBSIM_CHECK(kOrderedExtension, e.start >= r.start,
                    "strict: {} extends the file (server size {}) while R={:08x}[{:x}] at {} below it is still in "
                    "flight",
                    sreq_name(r), server_size, e.debug_id, e.index, e.start);
      }
      evaluated(kOrderedExtension);
    }
    mine[sreq_key(r)] = {r.start, r.rreq->debug_id, r.debug_index};
  }

  void subreq_terminated(const model::NetfsIoSubrequest& r) override {
    auto it = extending_.find(r.rreq->inode->ino);
    if (it != extending_.end()) it->second.erase(sreq_key(r));
  }

  void server_wrote(std::uint32_t file_id, model::loff_t pos, std::uint64_t len, std::uint64_t old_size,
                    std::uint64_t new_size) override {
    if (world_ == nullptr || static_cast<std::uint64_t>(pos) <= old_size) return;
    const model::NetfsInode& inode = *world_->files()[file_id];
    evaluated(kOrderedExtension);
    // Page by page: data in a dirty or writeback folio, or inside a
    // write that has not returned, is pending as a whole.
    for (std::uint64_t b = old_size; b < static_cast<std::uint64_t>(pos);) {
      const std::uint64_t page_end = std::min<std::uint64_t>((b / model::kPageSize + 1) * model::kPageSize,
                                                             static_cast<std::uint64_t>(pos));
      if (folio_pending(inode, b)) {
        b = page_end;
        continue;
      }
      while (b < page_end && (!shadow_.client_has_data(inode.ino, b) || write_pending(inode, b))) ++b;
      if (b == page_end) continue;
      // The first byte that breaks the rule ends the run.
      WBSIM_CHECK(kOrderedExtension, false,
                  "file {}: a write at {}+{} extended the server from {} and left a hole at {} where the "
                  "application's data is neither dirty, under writeback nor in flight",
                  file_id, pos, len, old_size, b);
    }
    holes_[file_id].push_back({old_size, static_cast<std::uint64_t>(pos)});
  }

  void quiescent(model::World& w) override {
    for (auto& [file_id, holes] : holes_) {
      const Shadow::File& f = shadow_.file(file_id);
      if (f.errors > 0) continue;  // the error reached the application (data-integrity checks it saw it)
      const auto& server = w.server().file(file_id).data;
      // Holes overlap from write to write: look at each byte once.
      std::sort(holes.begin(), holes.end());
      std::vector<std::pair<std::uint64_t, std::uint64_t>> merged;
      for (const auto& h : holes) {
        if (!merged.empty() && h.first <= merged.back().second) {
          merged.back().second = std::max(merged.back().second, h.second);
        } else {
          merged.push_back(h);
        }
      }
      for (const auto& [from, to] : merged) {
        evaluated(kOrderedExtension);
        for (std::uint64_t b = from; b < to && b < f.size(); ++b) {
          const bool hole = b >= server.size() || server[b] == 0;
          if (!(hole && f.known[b] && f.data[b] != 0)) continue;
          WBSIM_CHECK(kOrderedExtension, false,
                      "file {}: the hole {}..{} left by an extending write still has a hole at {} at quiescence, "
                      "where the application wrote {:#x}",
                      file_id, from, to, b, f.data[b]);
        }
      }
    }
  }

 private:
  struct Extending {
    model::loff_t start;
    std::uint32_t debug_id;
    std::uint32_t index;
  };
  static std::uint64_t sreq_key(const model::NetfsIoSubrequest& r) {
    return std::uint64_t{r.rreq->debug_id} << 32 | r.debug_index;
  }
  bool write_pending(const model::NetfsInode& inode, std::uint64_t b) const {
    for (const auto* writes : {&writes_, &zeroing_}) {
      for (const auto& [fiber, d] : *writes) {
        if (d.ino == inode.ino && static_cast<model::loff_t>(b) >= d.from && static_cast<model::loff_t>(b) < d.to)
          return true;
      }
    }
    return false;
  }
  bool folio_pending(const model::NetfsInode& inode, std::uint64_t b) const {
    const model::Folio* f =
        model::filemap_get_folio(const_cast<model::AddressSpace&>(inode.mapping), b >> model::kPageShift);
    return f != nullptr && (model::folio_test_dirty(*f) || model::folio_test_writeback(*f));
  }

  Shadow& shadow_;
  bool strict_;
  model::World* world_ = nullptr;
  struct Write {
    std::uint32_t ino;
    model::loff_t from, to;
  };
  std::map<sim::FiberId, Write> writes_;  // writes in flight, by fiber
  std::map<sim::FiberId, Write> zeroing_;  // hole punches and zero ranges in progress, by fiber
  std::map<std::uint32_t, std::map<std::uint64_t, Extending>> extending_;   // in-flight extending writes
  std::map<std::uint32_t, std::vector<std::pair<std::uint64_t, std::uint64_t>>> holes_;
};

}  // namespace

std::unique_ptr<Checker> make_ordered_extension_checker(Shadow& shadow, const Options& options) {
  return std::make_unique<OrderedExtension>(shadow, options);
}

}  // namespace wbsim::checkers
