#include "model/ploop/image_file.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "model/errno.h"
#include "sim/assert.h"
#include "sim/fault.h"
#include "sim/known_finding.h"

namespace wbsim::model {

WBSIM_FAULT_SITE(kFileStall, "ploop.file_stall", "the image file's disk sits on an I/O for up to 100 ms");
WBSIM_FAULT_SITE(kFileEio, "ploop.file_eio", "a write to the image file fails with -EIO");
WBSIM_FAULT_SITE(kFileShort, "ploop.file_short", "a write to the image file is done in part (partial I/O)");
WBSIM_FAULT_SITE(kPowerCut, "ploop.power_cut", "the power is cut (and checked) after an image file operation completes");
WBSIM_FAULT_SITE(kFsyncEio, "ploop.fsync_eio", "an fsync of the image file fails with -EIO");

// Reached here, in the host file, because only the file knows its size when
// a write comes back short; the ploop path is the grow's (docs/ploop.md,
// F23). dm-ploop preallocates every cluster it maps (ploop_allocate_cluster
// truncates the file up first), so the one write that extends the image is
// ploop_grow_relocate_cluster()'s zeroing of a new BAT cluster past the
// file's end; a partial completion resubmits the rest (ploop_data_rw_complete),
// and until that lands the file's size is not whole clusters.
WBSIM_KNOWN_FINDING(kFindingGrowExtendsInParts, "ploop-grow-extends-image-in-parts", "ploop-crash-consistency",
                    "ploop/grow_zero_*",
                    "a grow zeroes a new BAT cluster past the image's end with a plain write; done in parts, it "
                    "leaves a size that is not whole clusters, and a power cut there leaves an image the ctr "
                    "refuses (-EPROTO)");

namespace {
constexpr std::uint64_t kBlock = 4096;
}  // namespace

ImageFile::ImageFile(const ImageFileOptions& options, std::vector<std::uint8_t> initial)
    : options_(options), data_(std::move(initial)), durable_(data_) {
  allocated_.assign((data_.size() + kBlock - 1) / kBlock, true);
  used_blocks_ = allocated_.size();
}

void ImageFile::latency() {
  const sim::Time span = options_.latency_max - options_.latency_min;
  sim::sleep(options_.latency_min + sim::draw(static_cast<std::uint32_t>(span / sim::kUs + 1)) * sim::kUs);
  if (!healed_ && sim::fault(kFileStall)) sim::sleep(sim::draw(100) * sim::kMs);
}

std::uint64_t ImageFile::blocks_needed(loff_t pos, std::uint64_t len) const {
  std::uint64_t n = 0;
  for (std::uint64_t b = static_cast<std::uint64_t>(pos) / kBlock; b * kBlock < pos + len; ++b) {
    if (b >= allocated_.size() || !allocated_[b]) ++n;
  }
  return n;
}

void ImageFile::allocate_blocks(loff_t pos, std::uint64_t len) {
  const std::uint64_t last = (static_cast<std::uint64_t>(pos) + len + kBlock - 1) / kBlock;
  if (allocated_.size() < last) allocated_.resize(last, false);
  for (std::uint64_t b = static_cast<std::uint64_t>(pos) / kBlock; b < last; ++b) {
    if (!allocated_[b]) {
      allocated_[b] = true;
      ++used_blocks_;
    }
  }
}

void ImageFile::apply(std::vector<std::uint8_t>& to, const Op& op) {
  switch (op.kind) {
    case Op::Kind::write: {
      const std::size_t end = static_cast<std::size_t>(op.pos) + op.bytes.size();
      if (to.size() < end) to.resize(end, 0);
      std::memcpy(to.data() + op.pos, op.bytes.data(), op.bytes.size());
      return;
    }
    case Op::Kind::truncate:
      to.resize(static_cast<std::size_t>(op.len), 0);
      return;
    case Op::Kind::zero: {
      const std::size_t from = std::min<std::size_t>(static_cast<std::size_t>(op.pos), to.size());
      const std::size_t end = std::min<std::size_t>(static_cast<std::size_t>(op.pos + op.len), to.size());
      std::fill(to.begin() + static_cast<long>(from), to.begin() + static_cast<long>(end), 0);
      return;
    }
  }
}

void ImageFile::make_durable_upto(std::uint64_t completed_before) {
  // In completion order: the disk's cache flush writes what it holds.
  std::vector<Op*> done;
  for (Op& op : ops_) {
    if (op.completed && op.completed_at <= completed_before) done.push_back(&op);
  }
  std::stable_sort(done.begin(), done.end(), [](const Op* a, const Op* b) { return a->completed_at < b->completed_at; });
  for (Op* op : done) {
    apply(durable_, *op);
    op->durable = true;
  }
  std::erase_if(ops_, [](const Op& op) { return op.durable; });
}

void ImageFile::record(Op op) {
  apply(data_, op);
  op.completed = true;
  op.completed_at = ++completions_;
  ops_.push_back(std::move(op));
}

void ImageFile::write_async(loff_t pos, std::vector<std::uint8_t> bytes, bool dsync, std::function<void(long)> complete) {
  SIM_ASSERT_CMP(bytes.size(), >, 0u);
  sim::Scheduler::current().spawn(fmt::format("aio.w{}", ++aio_), [this, pos, dsync, bytes = std::move(bytes),
                                                                    complete = std::move(complete)]() mutable {
    latency();
    if (fail_next_write_ || (!healed_ && sim::fault(kFileEio))) {
      fail_next_write_ = false;
      complete(kEIO);
      return;
    }
    // Partial I/O: a prefix of whole sectors.
    const std::size_t asked = bytes.size();
    if (short_next_write_ != 0 && asked > std::size_t{short_next_write_} * kSectorSize) {
      bytes.resize(std::size_t{short_next_write_} * kSectorSize);
      short_next_write_ = 0;
      fail_next_write_ = fail_after_short_;
    } else if (!healed_ && asked > kSectorSize && sim::fault(kFileShort)) {
      const std::size_t sectors = asked / kSectorSize;
      bytes.resize((1 + sim::draw(static_cast<std::uint32_t>(sectors - 1))) * kSectorSize);
    }
    const std::uint64_t need = blocks_needed(pos, bytes.size());
    if (options_.capacity_blocks != 0 && used_blocks_ + need > options_.capacity_blocks) {
      complete(kENOSPC);
      return;
    }
    if (bytes.size() < asked && pos + static_cast<loff_t>(bytes.size()) > size()) {
      sim::known_finding_reached(kFindingGrowExtendsInParts);  // the file will end inside this write
    }
    allocate_blocks(pos, bytes.size());
    const long done = static_cast<long>(bytes.size());
    record(Op{Op::Kind::write, pos, std::move(bytes)});
    if (dsync) {
      make_durable_upto(completions_);  // generic_write_sync: the file's fsync
      if (on_durable) on_durable();
    }
    if (on_random_point && sim::fault(kPowerCut)) on_random_point();
    complete(done);
  });
}

void ImageFile::read_async(loff_t pos, std::uint64_t len,
                           std::function<void(long, std::vector<std::uint8_t>)> complete) {
  sim::Scheduler::current().spawn(fmt::format("aio.r{}", ++aio_), [this, pos, len, complete = std::move(complete)] {
    latency();
    std::vector<std::uint8_t> out;
    const long r = read_sync(pos, len, &out);
    complete(r, std::move(out));
  });
}

long ImageFile::read_sync(loff_t pos, std::uint64_t len, std::vector<std::uint8_t>* out) const {
  out->assign(len, 0);
  if (pos >= size()) return 0;
  const std::uint64_t n = std::min<std::uint64_t>(len, data_.size() - static_cast<std::size_t>(pos));
  std::memcpy(out->data(), data_.data() + pos, n);
  out->resize(n);
  return static_cast<long>(n);
}

int ImageFile::fsync() {
  const std::uint64_t upto = completions_;
  sim::sleep(options_.fsync_latency);
  if (fail_fsyncs_ > 0) {
    --fail_fsyncs_;
    return kEIO;
  }
  if (!healed_ && sim::fault(kFsyncEio)) return kEIO;
  make_durable_upto(upto);
  if (on_durable) on_durable();
  return 0;
}

int ImageFile::truncate(loff_t len) {
  latency();
  if (len < size()) {
    for (std::uint64_t b = (static_cast<std::uint64_t>(len) + kBlock - 1) / kBlock; b < allocated_.size(); ++b) {
      if (allocated_[b]) --used_blocks_;
    }
    allocated_.resize((static_cast<std::uint64_t>(len) + kBlock - 1) / kBlock);
  }
  record(Op{Op::Kind::truncate, 0, {}, len});
  return 0;
}

int ImageFile::fallocate(Falloc mode, loff_t pos, loff_t len) {
  latency();
  switch (mode) {
    case Falloc::allocate: {
      const std::uint64_t need = blocks_needed(pos, static_cast<std::uint64_t>(len));
      if (options_.capacity_blocks != 0 && used_blocks_ + need > options_.capacity_blocks) return kENOSPC;
      allocate_blocks(pos, static_cast<std::uint64_t>(len));
      if (pos + len > size()) record(Op{Op::Kind::truncate, 0, {}, pos + len});
      return 0;
    }
    case Falloc::punch_hole:
    case Falloc::zero_range: {
      if (mode == Falloc::punch_hole) {
        // Whole blocks inside the range go back to the filesystem.
        const std::uint64_t first = (static_cast<std::uint64_t>(pos) + kBlock - 1) / kBlock;
        for (std::uint64_t b = first; (b + 1) * kBlock <= static_cast<std::uint64_t>(pos + len) && b < allocated_.size(); ++b) {
          if (allocated_[b]) {
            allocated_[b] = false;
            --used_blocks_;
          }
        }
      }
      record(Op{Op::Kind::zero, pos, {}, len});
      return 0;
    }
  }
  return 0;
}

std::size_t ImageFile::volatile_ops() const { return ops_.size(); }

std::vector<std::uint8_t> ImageFile::crash_image(const std::function<bool(std::size_t)>& keep,
                                                 const std::function<bool(std::size_t, std::size_t)>& tear) const {
  std::vector<std::uint8_t> out = durable_;
  for (std::size_t i = 0; i < ops_.size(); ++i) {
    if (!keep(i)) continue;
    const Op& op = ops_[i];
    if (op.kind != Op::Kind::write) {
      apply(out, op);
      continue;
    }
    for (std::size_t s = 0; s * kSectorSize < op.bytes.size(); ++s) {
      if (!tear(i, s)) continue;
      const std::size_t at = static_cast<std::size_t>(op.pos) + s * kSectorSize;
      const std::size_t n = std::min<std::size_t>(kSectorSize, op.bytes.size() - s * kSectorSize);
      if (out.size() < at + n) out.resize(at + n, 0);
      std::memcpy(out.data() + at, op.bytes.data() + s * kSectorSize, n);
    }
  }
  return out;
}

}  // namespace wbsim::model
