// data-integrity: what the application wrote is what the server keeps and
// what reads return.
//
// - After fsync returns 0, every byte whose last store came before fsync
//   began (and that no error may have lost) is on the server; after sync(2)
//   returns, every such byte of every file.
// - Every read returns, for each byte not stored since the read began, the
//   shadow's value: buffered reads and direct ones alike, whose bytes come
//   from the server through the subrequests' slices of the caller's buffer.
//   A byte an unbuffered write still in flight covers is unknown: the
//   shadow takes such a write's bytes when it returns, but the server may
//   already hold some of them (netfs serialises no DIO against a DIO).
// - A hole punch or zero range in progress may already read as zeros over
//   its range, and its range need not be on the server yet.
// - At quiescence the server's file equals the shadow: every known byte,
//   and the size when no error occurred.
#include <map>

#include "checkers/shadow.h"
#include "model/backend/rfs.h"
#include "model/world.h"

namespace wbsim::checkers {

WBSIM_CHECKER(kDataIntegrity, "data-integrity",
              "the server's copy and every read equal a shadow of what the application wrote");

namespace {

class DataIntegrity final : public Checker {
  struct Syscall {
    std::uint32_t ino;
    std::uint64_t pos, len, seq;  // seq: the shadow's when it began
  };
  struct Began {
    std::uint64_t seq = 0;
    std::vector<Syscall> writing;  // writes in progress then
  };
 public:
  explicit DataIntegrity(Shadow& shadow) : shadow_(shadow) {}

  void world_created(model::World& w) override { world_ = &w; }
  void world_destroyed(model::World& w) override { world_ = nullptr; }

  // A write(2) still in progress when fsync or sync began is not one it
  // covers (its data may be copied in before the sync looks and dirtied
  // after): the bytes such a write stored are left out, as of its start.
  void fsync_begin(const model::NetfsInode& inode) override { fsync_begin_[current_fiber()] = snapshot(); }
  void fsync_returned(const model::NetfsInode& inode, int ret, model::loff_t start, model::loff_t end) override {
    const Began& began = fsync_begin_[current_fiber()];
    // With write groups (Ceph snap contexts) one fsync pass writes only the
    // oldest group and redirties the rest; the filesystem loops. Such a
    // file is held to the quiescence check only.
    if (ret != 0 || world_ == nullptr || inode.writeback_groups) return;
    compare_server(inode, began, "after fsync returned 0", static_cast<std::uint64_t>(start),
                   static_cast<std::uint64_t>(end));
  }

  // sync(2) writes back and waits for every mapping (sync_inodes_sb,
  // wait_sb_inodes): every byte stored before it began is on the server
  // when it returns. It reports no error, so bytes an error lost and no
  // fsync has reported yet are left out; so are files with write groups, as
  // for fsync.
  void sync_begin() override { sync_begin_[current_fiber()] = snapshot(); }
  void sync_returned(bool waited) override {
    const Began& began = sync_begin_[current_fiber()];
    if (!waited || world_ == nullptr) return;
    for (const auto& inode : world_->files()) {
      if (inode->writeback_groups || inode->mapping.no_data_integrity) continue;
      compare_server(*inode, began, "after sync(2) returned", 0, UINT64_MAX, /*skip_unreported=*/true);
    }
  }

  void write_begin(const model::NetfsInode& inode, model::loff_t pos, std::uint64_t len, bool unbuffered) override {
    if (unbuffered) writing_[current_fiber()] = {inode.ino, static_cast<std::uint64_t>(pos), len};
    syscalls_[current_fiber()] = {inode.ino, static_cast<std::uint64_t>(pos), len, shadow_.seq()};
  }
  void write_returned(const model::NetfsInode& inode, model::loff_t pos, std::span<const std::uint8_t> data,
                      std::int64_t ret, bool unbuffered) override {
    if (unbuffered) writing_.erase(current_fiber());
    syscalls_.erase(current_fiber());
  }

  // A write that extends the file stores zeros from the old EOF up to its
  // start (the hole) as well as its bytes: while it is in progress, those
  // are its stores too.
  //
  // A truncate stores zeros from the server's EOF up to its new size with
  // its setattr RPC, which the model's ->setattr sends after it has set
  // i_size and cleaned the page cache (docs/model.md, "Truncate
  // ordering"; the filesystems send it first, or write the page cache back
  // before): while one is in progress, those zeros are not on the server
  // yet, whichever way it moved i_size.
  void i_size_changed(const model::NetfsInode& inode, model::loff_t old_size, model::loff_t new_size,
                      bool truncate) override {
    if (truncate) {
      truncating_[current_fiber()] = {inode.ino, static_cast<std::uint64_t>(new_size)};
      return;
    }
    if (new_size <= old_size) return;
    const auto it = syscalls_.find(current_fiber());
    if (it == syscalls_.end() || it->second.ino != inode.ino) return;
    Syscall& w = it->second;
    const std::uint64_t from = std::min(w.pos, static_cast<std::uint64_t>(old_size));
    w.len += w.pos - from;
    w.pos = from;
  }

  void truncate_returned(const model::NetfsInode& inode, model::loff_t size, int ret) override {
    truncating_.erase(current_fiber());
  }

  // A hole punch or zero range drops the page cache over its range before
  // the server zeroes it, zeroing the folios at its ends at once and
  // dirty data inside unwritten (cifs): until it returns, a byte of its
  // range may read as zero and need not reach the server.
  void range_op_begin(const model::NetfsInode& inode, model::RangeOp op, model::loff_t offset,
                      std::uint64_t len) override {
    if (op == model::RangeOp::punch_hole || op == model::RangeOp::zero_range)
      zeroing_[current_fiber()] = {inode.ino, static_cast<std::uint64_t>(offset), len};
  }
  void range_op_returned(const model::NetfsInode& inode, model::RangeOp op, model::loff_t offset, std::uint64_t len,
                         int ret) override {
    zeroing_.erase(current_fiber());
  }

  // Reads nest: a load through a mapping faults its pages in through the
  // read path, which announces a read of its own; each is judged from its
  // own start.
  void read_begin(const model::NetfsInode& inode) override { read_begin_[current_fiber()].push_back(shadow_.seq()); }
  void read_returned(const model::NetfsInode& inode, model::loff_t pos, std::span<const std::uint8_t> data) override {
    std::vector<std::uint64_t>& open = read_begin_[current_fiber()];
    SIM_ASSERT(!open.empty());
    const std::uint64_t began = open.back();
    open.pop_back();
    Shadow::File& f = shadow_.file(inode.ino);
    for (std::size_t k = 0; k < data.size(); ++k) {
      const std::uint64_t b = static_cast<std::uint64_t>(pos) + k;
      if (b >= f.size() || !f.known[b] || f.gen[b] > began || data[k] == f.data[b]) continue;
      if (in_flight(inode.ino, b)) continue;
      if (data[k] == 0 && zeroing(inode.ino, b)) continue;
      WBSIM_CHECK(kDataIntegrity, false, "read of {}+{} returned {:#x} at byte {}, the application last wrote {:#x} there",
                  pos, data.size(), data[k], b, f.data[b]);
    }
    evaluated(kDataIntegrity);  // one evaluation per read
  }

  // The world's reads have no faults (the server's read RPC cannot fail), so
  // only a writeback error, which the flush before an unbuffered read
  // reports (filemap_write_and_wait_range), justifies a read's error.
  void read_failed(const model::NetfsInode& inode, model::loff_t pos, std::uint64_t len, std::int64_t ret,
                   bool flush) override {
    std::vector<std::uint64_t>& open = read_begin_[current_fiber()];
    if (!open.empty()) open.pop_back();
    WBSIM_CHECK(kDataIntegrity, flush, "read of {}+{} (i_size {}) failed with {}, and no read RPC can fail", pos, len,
                inode.i_size, ret);
  }

  void quiescent(model::World& w) override {
    for (const auto& inode : w.files()) {
      compare_server(*inode, Began{shadow_.seq(), {}}, "at quiescence", 0, UINT64_MAX);
      const Shadow::File& f = shadow_.file(inode->ino);
      if (f.errors == 0) {
        const auto& server = server_file(*inode);
        WBSIM_CHECK(kDataIntegrity, server.size() == f.size(),
                    "file {}: server size {} at quiescence, but the application's file is {} bytes (no error)",
                    inode->ino, server.size(), f.size());
      }
    }
  }

 private:
  std::vector<std::uint8_t> server_file(const model::NetfsInode& inode) const {
    const auto& rfs = *static_cast<const model::RfsInode*>(inode.fs_private);
    std::vector<std::uint8_t> bytes = world_->server().file(rfs.file_id).data;
    if (inode.content_crypto) {
      for (std::size_t i = 0; i < bytes.size(); ++i)
        bytes[i] = model::netfs_decrypt_byte(bytes[i], static_cast<model::loff_t>(i));
    }
    return bytes;
  }

  // Bytes in [first, last] stored before `stored_before` are on the server.
  // With `skip_unreported`, bytes a failed request cleaned that no fsync
  // has reported yet (Shadow::File::unreported) are not compared.
  void compare_server(const model::NetfsInode& inode, const Began& began, const char* when, std::uint64_t first,
                      std::uint64_t last, bool skip_unreported = false) {
    const std::uint64_t stored_before = began.seq;
    Shadow::File& f = shadow_.file(inode.ino);
    evaluated(kDataIntegrity);
    if (!inode.content_crypto) {
      // The usual case: the server holds every byte the shadow has, so no
      // byte can differ.
      const auto& raw = world_->server().file(static_cast<const model::RfsInode*>(inode.fs_private)->file_id).data;
      if (raw.size() >= f.size() && std::equal(f.data.begin(), f.data.end(), raw.begin())) return;
    }
    const std::vector<std::uint8_t> server = server_file(inode);
    // Once an error may have cut the server's file short, its size is no
    // longer the application's: a known zero past the server's EOF (an
    // operation that zeroed bytes there, keeping the size) reads as zero.
    auto same = [&](std::uint64_t b) {
      if (skip_unreported && unreported(f, b)) return true;
      if (in_progress(began, inode.ino, b, f.gen[b])) return true;
      if (zeroing(inode.ino, b)) return true;
      if (b < server.size()) return server[b] == f.data[b];
      if (f.data[b] == 0 && truncating_to(inode.ino, b)) return true;
      return f.errors != 0 && f.data[b] == 0;
    };
    const std::uint64_t stop = last < f.size() ? last + 1 : f.size();
    for (std::uint64_t b = first; b < stop; ++b) {
      if (!f.known[b] || f.gen[b] > stored_before) continue;
      const bool present = b < server.size();
      if (same(b)) continue;
      // One finding names the first differing byte and the extent of the run.
      std::uint64_t e = b;
      while (e < stop && f.known[e] && f.gen[e] <= stored_before && !same(e)) ++e;
      WBSIM_CHECK(kDataIntegrity, false,
                  "file {} {}: server byte {} is {}, the application wrote {:#x} (bytes {}..{} differ; server size "
                  "{})",
                  inode.ino, when, b, present ? fmt::format("{:#x}", server[b]) : std::string("beyond EOF"),
                  f.data[b], b, e, server.size());
    }
  }

  // Whether a truncate in progress will bring the server's file past `b`.
  bool truncating_to(std::uint32_t ino, std::uint64_t b) const {
    for (const auto& [fiber, t] : truncating_) {
      if (t.ino == ino && b < t.size) return true;
    }
    return false;
  }

  Began snapshot() const {
    Began b{shadow_.seq(), {}};
    for (const auto& [fiber, w] : syscalls_) b.writing.push_back(w);
    return b;
  }
  // Whether byte `b`, last stored at `gen`, may have been stored by a write
  // in progress when the sync began.
  static bool in_progress(const Began& began, std::uint32_t ino, std::uint64_t b, std::uint64_t gen) {
    for (const Syscall& w : began.writing) {
      if (w.ino == ino && w.pos <= b && b < w.pos + w.len && gen > w.seq) return true;
    }
    return false;
  }

  static bool unreported(const Shadow::File& f, std::uint64_t b) {
    for (const Shadow::File::Lost& l : f.unreported) {
      if (l.from <= b && b < l.to && f.gen[b] <= l.seq) return true;
    }
    return false;
  }

  struct Range {  // bytes [pos, pos + len) of a file
    std::uint32_t ino;
    std::uint64_t pos, len;
  };
  // Whether an unbuffered write that has not returned covers byte `b`. One
  // that returned during the read stored its bytes after the read began.
  bool in_flight(std::uint32_t ino, std::uint64_t b) const { return covers(writing_, ino, b); }
  // Whether a hole punch or zero range in progress covers byte `b`.
  bool zeroing(std::uint32_t ino, std::uint64_t b) const { return covers(zeroing_, ino, b); }
  static bool covers(const std::map<sim::FiberId, Range>& ranges, std::uint32_t ino, std::uint64_t b) {
    for (const auto& [fiber, u] : ranges) {
      if (u.ino == ino && u.pos <= b && b < u.pos + u.len) return true;
    }
    return false;
  }

  Shadow& shadow_;
  model::World* world_ = nullptr;
  std::map<sim::FiberId, Range> writing_;  // unbuffered writes in flight, by writer
  std::map<sim::FiberId, Range> zeroing_;  // hole punches and zero ranges in progress
  std::map<sim::FiberId, Syscall> syscalls_;  // writes in progress, by writer
  struct Truncate {
    std::uint32_t ino;
    std::uint64_t size;  // the new size
  };
  std::map<sim::FiberId, Truncate> truncating_;  // truncates in progress
  std::map<sim::FiberId, Began> fsync_begin_;
  std::map<sim::FiberId, Began> sync_begin_;
  std::map<sim::FiberId, std::vector<std::uint64_t>> read_begin_;  // reads in progress, innermost last
};

}  // namespace

std::unique_ptr<Checker> make_data_integrity_checker(Shadow& shadow) { return std::make_unique<DataIntegrity>(shadow); }

}  // namespace wbsim::checkers
