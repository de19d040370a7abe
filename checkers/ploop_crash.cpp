// ploop-crash-consistency: power is cut at every point where something
// became durable in the image file (an fsync returned, a dsync write
// completed) and at random points; the image is re-opened from what a
// power cut can leave (the durable state plus any subset of the operations
// in the disk's volatile cache, each whole or, with tearing, any subset of
// its sectors) and read back through its BAT. As CrashMonkey and ACE
// check file systems: every write acknowledged with FUA, or before a flush
// that completed, reads back (or a write that may have overtaken it); no
// sector reads a value no write put there; the image opens; no file
// cluster is mapped twice.
#include <algorithm>
#include <cstring>
#include <map>
#include <set>
#include <vector>

#include "checkers/checker.h"
#include "model/ploop/ploop.h"
#include "sim/rng.h"

namespace wbsim::checkers {

WBSIM_CHECKER_IN(kPloopCrash, "ploop-crash-consistency", "ploop/*",
                 "after a power cut the image opens and every acknowledged-durable write reads back (one evaluation per point)");

namespace {

using model::BlkStatus;
using model::Ploop;
using model::PloopBio;
using model::kSectorSize;

constexpr std::uint64_t kNever = UINT64_MAX;

struct Bio {
  std::uint64_t id = 0;
  model::PioOp op{};
  bool fua = false;
  bool preflush = false;
  std::uint64_t submitted = 0;
  std::uint64_t acked = kNever;
  bool failed = false;
  model::loff_t pos = 0;
  std::vector<std::uint8_t> data;  // what a write or discard (zeros) puts there
};

class PloopCrashChecker final : public Checker {
 public:
  void ploop_created(const Ploop& p) override {
    Device& d = dev_[p.id];
    d.sectors.resize(std::size_t{p.nr_bat_entries} * (p.clu_size() / kSectorSize));
    // The snapshot deltas: read-only, so what they hold is what a device
    // cluster the top delta does not map reads, before and after a cut.
    for (const auto& lower : p.lower_deltas) d.lower.push_back({model::ploop_open_image(lower->data(), p.cluster_log), lower->data()});
  }

  void ploop_bio_submitted(const Ploop& p, std::uint64_t id, const PloopBio& b) override {
    Device& d = dev_[p.id];
    Bio bio{id, b.op, b.fua, b.preflush, ++seq_};
    bio.pos = b.pos;
    if (b.op == model::PioOp::write) bio.data = b.data;
    if (b.op == model::PioOp::discard) bio.data.assign(b.len, 0);
    d.bios[id] = std::move(bio);
    const Bio& stored = d.bios[id];
    const std::uint32_t per_clu = p.clu_size() / kSectorSize;
    for (std::size_t s = 0; s * kSectorSize < stored.data.size(); ++s) {
      const std::size_t sector = static_cast<std::size_t>(stored.pos) / kSectorSize + s;
      if (sector >= d.sectors.size()) d.sectors.resize(sector + 1);  // a grown device (ploop_resize)
      d.sectors[sector].push_back({id, s * kSectorSize});
      d.touched.insert(static_cast<std::uint32_t>(sector / per_clu));
    }
  }

  void ploop_bio_completed(const Ploop& p, std::uint64_t id, BlkStatus s) override {
    Device& d = dev_[p.id];
    Bio& bio = d.bios.at(id);
    bio.acked = ++seq_;
    bio.failed = s != BlkStatus::ok;
    if (bio.failed) return;
    // A completed flush makes every write acknowledged before it was
    // submitted durable; a FUA write is durable at its completion.
    const bool durable = bio.op == model::PioOp::flush || bio.preflush || bio.fua;
    if (bio.op == model::PioOp::flush || bio.preflush) d.flushed_before = std::max(d.flushed_before, bio.submitted);
    // Power cut right after the acknowledgement that promised durability.
    if (durable) ploop_persistence_point(p, false);
  }

  void ploop_persistence_point(const Ploop& p, bool random) override {
    (void)random;
    evaluated(kPloopCrash);  // one power-cut point
    const model::ImageFile& file = *p.file;
    const std::size_t n = file.volatile_ops();
    sim::Rng rng(sim::Scheduler::current().seed() * 0x9e3779b97f4a7c15ULL + ++points_);
    auto no_tear = [](std::size_t, std::size_t) { return true; };
    if (n <= 4) {
      for (std::uint32_t mask = 0; mask < (1u << n); ++mask)
        check_image(p, file.crash_image([mask](std::size_t i) { return (mask >> i) & 1u; }, no_tear), "volatile subset", mask);
      return;
    }
    check_image(p, file.crash_image([](std::size_t) { return false; }, no_tear), "nothing volatile kept", 0);
    check_image(p, file.crash_image([](std::size_t) { return true; }, no_tear), "everything volatile kept", 0);
    for (int k = 0; k < 4; ++k) {
      const std::uint64_t keep = rng.next(), tear = rng.next();
      const bool torn = k >= 2;
      check_image(p,
                  file.crash_image([keep](std::size_t i) { return (keep >> (i % 64)) & 1u; },
                                   [torn, tear](std::size_t i, std::size_t s) {
                                     return !torn || ((tear >> ((i * 7 + s) % 64)) & 1u);
                                   }),
                  torn ? "random subset, torn sectors" : "random subset", keep);
    }
  }

 private:
  struct SectorVersion {
    std::uint64_t bio = 0;
    std::size_t off = 0;  // in the bio's data
  };
  struct Lower {
    model::PloopImageView view;
    std::vector<std::uint8_t> image;
  };
  struct Device {
    std::vector<Lower> lower;  // oldest first
    std::map<std::uint64_t, Bio> bios;
    std::vector<std::vector<SectorVersion>> sectors;
    std::uint64_t flushed_before = 0;  // writes acknowledged before this were flushed
    std::set<std::uint32_t> touched;  // device clusters some bio wrote or discarded
  };

  bool required(const Device& d, const Bio& b) const {
    if (b.failed || b.acked == kNever || b.op == model::PioOp::flush) return false;
    return b.acked < d.flushed_before || b.fua;  // a FUA write is durable once acknowledged
  }

  void check_image(const Ploop& p, const std::vector<std::uint8_t>& image, const char* how, std::uint64_t mask) {
    const model::PloopImageView v = model::ploop_open_image(image, p.cluster_log);
    // Failures only: the checker counts one evaluation per power-cut point.
    if (v.error != 0)
      WBSIM_CHECK(kPloopCrash, false, "ploop {}: after a power cut ({} {:#x}) the image does not open: {} ({})", p.id, how,
                  mask, v.why, v.error);
    std::map<std::uint32_t, std::uint32_t> owner;
    std::set<std::uint32_t> clusters = dev_.at(p.id).touched;
    for (std::uint32_t clu = 0; clu < v.bat.size(); ++clu) {
      if (v.bat[clu] == model::kBatEntryNone) continue;
      clusters.insert(clu);  // mapped: must read zeros if nothing wrote it
      const auto [it, fresh] = owner.emplace(v.bat[clu], clu);
      if (!fresh)
        WBSIM_CHECK(kPloopCrash, false, "ploop {}: after a power cut ({} {:#x}) file cluster {} is mapped by clusters {} and {}",
                    p.id, how, mask, v.bat[clu], it->second, clu);
    }
    const Device& d = dev_.at(p.id);
    const std::uint32_t per_clu = p.clu_size() / kSectorSize;
    std::vector<std::uint8_t> got(kSectorSize);
    std::vector<std::uint8_t> base(kSectorSize);
    for (const std::uint32_t clu : clusters) {
     for (std::size_t s = std::size_t{clu} * per_clu; s < std::size_t{clu + 1} * per_clu; ++s) {
      read_lower(p, d, clu, s % per_clu, base);
      if (clu < v.bat.size() && v.bat[clu] != model::kBatEntryNone) {
        std::fill(got.begin(), got.end(), 0);
        const std::size_t at = std::size_t{v.bat[clu]} * p.clu_size() + (s % per_clu) * kSectorSize;
        if (at < image.size()) std::memcpy(got.data(), image.data() + at, std::min<std::size_t>(kSectorSize, image.size() - at));
      } else {
        got = base;
      }
      check_sector(p, d, s, got, base, how, mask);
     }
    }
  }

  // What device cluster `clu`'s sector `in_clu` holds in the newest lower
  // delta that maps it, or zeros.
  void read_lower(const Ploop& p, const Device& d, std::uint32_t clu, std::size_t in_clu, std::vector<std::uint8_t>& out) const {
    std::fill(out.begin(), out.end(), 0);
    for (auto it = d.lower.rbegin(); it != d.lower.rend(); ++it) {
      if (clu >= it->view.bat.size() || it->view.bat[clu] == model::kBatEntryNone) continue;
      const std::size_t at = std::size_t{it->view.bat[clu]} * p.clu_size() + in_clu * kSectorSize;
      std::memcpy(out.data(), it->image.data() + at, kSectorSize);
      return;
    }
  }

  void check_sector(const Ploop& p, const Device& d, std::size_t s, const std::vector<std::uint8_t>& got,
                    const std::vector<std::uint8_t>& base, const char* how, std::uint64_t mask) {
    static const std::vector<SectorVersion> kNone;
    const auto& versions = s < d.sectors.size() ? d.sectors[s] : kNone;  // never written since a grow
    // The latest required write (by acknowledgement) and the submission
    // it must not be overtaken from.
    const Bio* req = nullptr;
    for (const SectorVersion& sv : versions) {
      const Bio& b = d.bios.at(sv.bio);
      if (required(d, b) && (req == nullptr || b.acked > req->acked)) req = &b;
    }
    auto equals = [&](const SectorVersion& sv) {
      const Bio& b = d.bios.at(sv.bio);
      return std::memcmp(b.data.data() + sv.off, got.data(), kSectorSize) == 0;
    };
    // With no write required there, what was there before any: zeros, or a
    // snapshot delta's data.
    bool allowed = req == nullptr && got == base;
    for (const SectorVersion& sv : versions) {
      const Bio& b = d.bios.at(sv.bio);
      const bool may = req == nullptr || &b == req || b.acked == kNever || b.acked > req->submitted;
      if (may && equals(sv)) allowed = true;
    }
    if (allowed) return;
    WBSIM_CHECK(kPloopCrash, false,
                "ploop {}: after a power cut ({} {:#x}) sector {} (cluster {}) reads {:#04x}..., but {}", p.id, how, mask, s,
                s / (p.clu_size() / kSectorSize), got[0],
                req != nullptr ? fmt::format("bio {} ({}{}) wrote {:#04x}... there and was acknowledged durable", req->id,
                                             req->fua ? "FUA" : "flushed", req->preflush ? ", PREFLUSH" : "",
                                             req->data[0])
                               : std::any_of(base.begin(), base.end(), [](std::uint8_t c) { return c != 0; })
                                   ? fmt::format("no write was acknowledged there, where the snapshot holds {:#04x}...", base[0])
                                   : std::string("no write put that value there"));
  }

  std::map<std::uint32_t, Device> dev_;
  std::uint64_t seq_ = 0;
  std::uint64_t points_ = 0;
};

}  // namespace

std::unique_ptr<Checker> make_ploop_crash_checker() { return std::make_unique<PloopCrashChecker>(); }

}  // namespace wbsim::checkers
