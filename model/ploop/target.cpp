// Pin: drivers/md/dm-ploop-target.c, dm-ploop-bat.c at f6a7f55c4fef, 8a833fabc558 (OpenVZ/vzkernel; docs/ploop.md).
// The device: its image format and metadata (ploop_setup_metadata,
// ploop_read_delta_metadata, convert_bat_entries), construction, requests
// from above through blk-flush, suspend and resume.
#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "model/errno.h"
#include "model/events.h"
#include "model/ploop/internal.h"
#include "model/ploop/variants.h"
#include "model/trace_reasons.h"
#include "model/world.h"
#include "sim/assert.h"
#include "sim/completion.h"

namespace wbsim::model {

namespace {

constexpr char kSig[] = "WithouFreSpacExt";            // m_Sig
constexpr std::uint32_t kSignatureDiskInUse = 0x746F6E59;  // SIGNATURE_DISK_IN_USE
constexpr int kEPROTO = -71;
constexpr int kEXDEV = -18;
constexpr int kENOTSUPP = -524;

std::uint32_t bat_clusters_for(std::uint32_t cluster_log, std::uint32_t nr_bat_entries) {
  const std::uint64_t size = (std::uint64_t{kPloopMapOffset} + nr_bat_entries) * 4;
  const std::uint64_t clu = kSectorSize << cluster_log;
  return static_cast<std::uint32_t>((size + clu - 1) / clu);
}

std::uint32_t get32(const std::vector<std::uint8_t>& b, std::size_t at) {
  std::uint32_t v = 0;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}
void put32(std::vector<std::uint8_t>& b, std::size_t at, std::uint32_t v) { std::memcpy(b.data() + at, &v, 4); }

}  // namespace

BlkStatus errno_to_blk_status(long err) {
  switch (err) {
    case 0: return BlkStatus::ok;
    case kENOSPC: return BlkStatus::nospc;
    case kENOMEM: return BlkStatus::resource;
    case kEAGAIN: return BlkStatus::again;
    default: return BlkStatus::ioerr;
  }
}

int blk_status_to_errno(BlkStatus s) {
  switch (s) {
    case BlkStatus::ok: return 0;
    case BlkStatus::nospc: return kENOSPC;
    case BlkStatus::resource: return kENOMEM;
    case BlkStatus::again: return kEAGAIN;
    case BlkStatus::ioerr: return kEIO;
  }
  return kEIO;
}

const char* blk_status_name(BlkStatus s) {
  switch (s) {
    case BlkStatus::ok: return "OK";
    case BlkStatus::ioerr: return "IOERR";
    case BlkStatus::nospc: return "NOSPC";
    case BlkStatus::resource: return "RESOURCE";
    case BlkStatus::again: return "AGAIN";
  }
  return "?";
}

std::uint32_t Ploop::nr_bat_clusters() const { return bat_clusters_for(cluster_log, nr_bat_entries); }

std::vector<std::uint8_t> ploop_format_image(std::uint32_t cluster_log, std::uint32_t nr_bat_entries) {
  const std::uint32_t bat_clusters = bat_clusters_for(cluster_log, nr_bat_entries);
  std::vector<std::uint8_t> image(std::size_t{bat_clusters} * (kSectorSize << cluster_log), 0);
  std::memcpy(image.data(), kSig, 16);                                  // m_Sig
  put32(image, 16, 2);                                                  // m_Type
  put32(image, 28, 1u << cluster_log);                                  // m_Sectors
  put32(image, 32, nr_bat_entries);                                     // m_Size
  const std::uint64_t sectors = std::uint64_t{nr_bat_entries} << cluster_log;
  std::memcpy(image.data() + 36, &sectors, 8);                          // m_SizeInSectors_v2
  put32(image, 44, kSignatureDiskInUse);                                // m_DiskInUse
  put32(image, 48, bat_clusters << cluster_log);                        // m_FirstBlockOffset
  return image;
}

std::vector<std::uint8_t> ploop_make_image(std::uint32_t cluster_log, std::uint32_t nr_bat_entries,
                                           const std::map<std::uint32_t, std::vector<std::uint8_t>>& clusters) {
  std::vector<std::uint8_t> image = ploop_format_image(cluster_log, nr_bat_entries);
  const std::size_t clu_size = kSectorSize << cluster_log;
  for (const auto& [clu, data] : clusters) {
    SIM_ASSERT(clu < nr_bat_entries && data.size() == clu_size);
    const auto file_clu = static_cast<std::uint32_t>(image.size() / clu_size);
    put32(image, (std::size_t{kPloopMapOffset} + clu) * 4, file_clu);
    image.insert(image.end(), data.begin(), data.end());
  }
  return image;
}

PloopImageView ploop_open_image(const std::vector<std::uint8_t>& image, std::uint32_t cluster_log) {
  PloopImageView v;
  v.cluster_log = cluster_log;
  const std::uint64_t clu_size = kSectorSize << cluster_log;
  auto fail = [&](int err, std::string why) {
    v.error = err;
    v.why = std::move(why);
    return v;
  };
  // ploop_check_delta_length()
  if (image.size() % clu_size != 0) return fail(kEPROTO, fmt::format("file size {} is not whole clusters", image.size()));
  if (image.size() < kPageSize) return fail(-61, "the header page cannot be read");
  // ploop_setup_metadata()
  if (std::memcmp(image.data(), kSig, 16) != 0) return fail(kENOTSUPP, "no ploop signature");
  if (get32(image, 28) != (1u << cluster_log)) return fail(kEINVAL, "cluster size differs");
  v.nr_bat_entries = get32(image, 32);
  const std::uint32_t bat_clusters = bat_clusters_for(cluster_log, v.nr_bat_entries);
  if ((get32(image, 48) >> cluster_log) != bat_clusters) return fail(kEINVAL, "custom FirstBlockOffset");
  // ploop_read_delta_metadata() + convert_bat_entries()
  const std::uint64_t bat_bytes = (std::uint64_t{kPloopMapOffset} + v.nr_bat_entries) * 4;
  if (image.size() < bat_bytes) return fail(-61, "the BAT cannot be read whole");
  const std::uint64_t max_file_clu = image.size() / clu_size - 1;
  v.bat.resize(v.nr_bat_entries);
  for (std::uint32_t clu = 0; clu < v.nr_bat_entries; ++clu) {
    std::uint32_t e = get32(image, (std::size_t{kPloopMapOffset} + clu) * 4);
    if (e > max_file_clu) return fail(kEPROTO, fmt::format("BAT[{}] = {} is past the file's {} clusters", clu, e, max_file_clu + 1));
    if (e == 0) e = kBatEntryNone;
    if (e < bat_clusters) return fail(kEXDEV, fmt::format("BAT[{}] = {} points into the BAT", clu, e));
    v.bat[clu] = e;
  }
  return v;
}

Ploop::Ploop(World& w, const PloopOptions& options)
    : world(w), cluster_log(options.cluster_log), nr_bat_entries(options.nr_bat_entries),
      falloc_new_clu(options.falloc_new_clu) {
  id = w.next_ino();
  file = std::make_unique<ImageFile>(options.file, ploop_format_image(cluster_log, nr_bat_entries));
  file->on_durable = [this] { MODEL_EVENT(ploop_persistence_point(*this, /*random=*/false)); };
  file->on_random_point = [this] { MODEL_EVENT(ploop_persistence_point(*this, /*random=*/true)); };
  // check_top_delta() + ploop_add_delta(): the md pages of the whole BAT
  // (prealloc_md_pages), the holes bitmap with the BAT's clusters in use.
  const PloopImageView view = ploop_open_image(file->data(), cluster_log);
  SIM_ASSERT_MSG(view.error == 0, "a fresh image does not open: {}", view.why);
  const std::uint32_t nr_pages = ploop_bat_clu_to_page_nr(nr_bat_entries - 1) + 1;
  for (std::uint32_t i = 0; i < nr_pages; ++i) {
    auto md = std::make_unique<MdPage>();
    md->id = i;
    md->page.assign(kBatEntriesPerPage, kBatEntryNone);
    md->bat_levels.assign(kBatEntriesPerPage, 0);
    bat_entries[i] = std::move(md);
  }
  std::memcpy(bat_entries[0]->page.data(), file->data().data(), kPloopMapOffset * 4);  // the header
  // The snapshot deltas under the top one (ploop_add_delta for each, oldest
  // first): clusters the top delta does not hold map to the newest lower
  // delta that does, at its level.
  for (std::size_t level = 0; level < options.lower_images.size(); ++level) {
    const PloopImageView lower = ploop_open_image(options.lower_images[level], cluster_log);
    SIM_ASSERT_MSG(lower.error == 0, "lower delta {} does not open: {}", level, lower.why);
    // ploop_delta_check_header(): -EPROTO for a delta larger than the top;
    // ploop_add_delta(): -EBADSLT for one larger than the delta above it.
    // A scenario that builds such a stack is wrong, not the device.
    SIM_ASSERT_CMP(lower.nr_bat_entries, <=, nr_bat_entries);
    if (level + 1 < options.lower_images.size())
      SIM_ASSERT_CMP(lower.nr_bat_entries, <=, ploop_open_image(options.lower_images[level + 1], cluster_log).nr_bat_entries);
    for (std::uint32_t clu = 0; clu < lower.nr_bat_entries; ++clu) {
      if (lower.bat[clu] == kBatEntryNone) continue;
      MdPage& md = *bat_entries[ploop_bat_clu_to_page_nr(clu)];
      md.page[ploop_bat_clu_idx_in_page(clu)] = lower.bat[clu];
      md.bat_levels[ploop_bat_clu_idx_in_page(clu)] = static_cast<std::uint8_t>(level);
    }
    lower_deltas.push_back(std::make_unique<ImageFile>(options.file, options.lower_images[level]));
  }
  holes_bitmap.assign(nr_bat_clusters() + nr_bat_entries, true);  // ploop_setup_holes_bitmap
  for (std::uint32_t i = 0; i < nr_bat_clusters(); ++i) holes_bitmap[i] = false;
  file_size = file->size();
  file_preallocated_area_start = file_size;
  // alloc_workqueue(WQ_UNBOUND): the worker and the fsync worker may run
  // at once, each on one worker at a time.
  wq = std::make_unique<sim::Workqueue>(fmt::format("dm-ploop.{}", id), 2);
  worker = std::make_unique<sim::Work>("ploop.worker", [this] { do_ploop_work(*this); });
  fsync_worker = std::make_unique<sim::Work>("ploop.fsync_worker", [this] { do_ploop_fsync_work(*this); });
  idle_wq = std::make_unique<sim::WaitQueue>(fmt::format("ploop.{}.idle", id));
  w.on_heal([this] {
    file->heal();
    for (auto& lower : lower_deltas) lower->heal();
    healed = true;
  });
  w.on_drain([this] {
    // Whatever is parked for ENOSPC comes back; the device ends idle, its
    // cache flushed.
    ploop_submit_bio_wait(*this, PloopBio{.op = PioOp::flush});
    idle_wq->wait_event([this] { return rqs_in_flight == 0; });
  });
  MODEL_EVENT(ploop_created(*this));
}

Ploop::~Ploop() = default;

std::uint32_t ploop_bat_entry(const Ploop& ploop, std::uint32_t clu) {
  const MdPage& md = *ploop.bat_entries.at(ploop_bat_clu_to_page_nr(clu));
  return md.page[ploop_bat_clu_idx_in_page(clu)];
}

void ploop_power_cut(Ploop& ploop) { MODEL_EVENT(ploop_persistence_point(ploop, /*random=*/true)); }

std::uint8_t ploop_bat_level(const Ploop& ploop, std::uint32_t clu) {
  const MdPage& md = *ploop.bat_entries.at(ploop_bat_clu_to_page_nr(clu));
  return md.bat_levels[ploop_bat_clu_idx_in_page(clu)];
}

namespace {

// One request through ploop_clone_and_map(), waited for.
BlkStatus ploop_request_wait(Ploop& ploop, PioOp op, loff_t pos, std::uint32_t bytes, std::vector<std::uint8_t> data,
                             std::vector<std::uint8_t>* out, bool fua = false) {
  ploop.requests.push_back(std::make_unique<PloopRq>());
  PloopRq& prq = *ploop.requests.back();
  prq.id = ploop.next_rq_id++;
  prq.pio.id = ploop.next_pio_id++;
  prq.op = op;
  prq.sector = static_cast<std::uint64_t>(pos) / kSectorSize;
  prq.bytes = bytes;
  prq.fua = fua;
  prq.data = std::move(data);
  if (op != PioOp::write) prq.data.assign(op == PioOp::read ? bytes : 0, 0);
  sim::Completion done(fmt::format("ploop.rq{}", prq.id));
  BlkStatus status = BlkStatus::ok;
  prq.done = [&](BlkStatus s) {
    status = s;
    done.complete();
  };
  trace_ev(Ev::ploop_rq, prq.id, static_cast<std::uint64_t>(op));
  // ploop_rq_valid(): the end must lie inside the device (DM_MAPIO_KILL).
  if (bytes != 0 && (pos + bytes - 1) / ploop.clu_size() >= ploop.nr_bat_entries) return BlkStatus::ioerr;
  ++ploop.rqs_in_flight;
  ploop_init_prq_and_embedded_pio(ploop, prq, prq.pio);
  ploop_submit_embedded_pio(ploop, prq.pio);
  done.wait();
  --ploop.rqs_in_flight;
  ploop.idle_wq->wake_up();
  if (out != nullptr && op == PioOp::read) *out = prq.data;
  return status;
}

}  // namespace

BlkStatus ploop_submit_bio_wait(Ploop& ploop, const PloopBio& bio, std::vector<std::uint8_t>* out) {
  const std::uint64_t id = ploop.next_bio_id++;
  MODEL_EVENT(ploop_bio_submitted(ploop, id, bio));
  BlkStatus s = BlkStatus::ok;
  // blk-flush: the target sets flush_supported, for which dm gives the
  // queue a write cache and FUA (dm_table_set_restrictions): REQ_PREFLUSH
  // becomes a flush request before the data, and REQ_FUA stays on the data
  // request (no post-flush).
  if (bio.preflush || bio.op == PioOp::flush) s = ploop_request_wait(ploop, PioOp::flush, 0, 0, {}, nullptr);
  if (s == BlkStatus::ok && bio.op != PioOp::flush) {
    const std::uint32_t len = bio.op == PioOp::write ? static_cast<std::uint32_t>(bio.data.size()) : bio.len;
    s = ploop_request_wait(ploop, bio.op, bio.pos, len, bio.op == PioOp::write ? bio.data : std::vector<std::uint8_t>{},
                           out, bio.fua && bio.op == PioOp::write);
  }
  MODEL_EVENT(ploop_bio_completed(ploop, id, s));
  return s;
}

void ploop_suspend(Ploop& ploop) {
  // ploop_presuspend(): pending ENOSPC requests come back now, or the
  // target could never suspend.
  ploop.wants_suspend = true;
  ploop.enospc_timer_armed = false;  // del_timer_sync
  ploop_enospc_timer(ploop);
  // dm's suspend: no new requests reach the target; wait for those in it.
  ploop.stop_submitting_pios = true;
  ploop.idle_wq->wait_event([&ploop] { return ploop.inflight == 0; });
}

void ploop_resume(Ploop& ploop) {
  ploop.wants_suspend = false;
  ploop.stop_submitting_pios = false;
  std::deque<Pio*> list;
  list.swap(ploop.suspended_pios);
  ploop_submit_embedded_pios(ploop, list);
}

}  // namespace wbsim::model
