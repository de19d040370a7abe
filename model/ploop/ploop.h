//! dm-ploop: a block device backed by an image file whose Block Allocation
//! Table (BAT, cluster -> cluster of the file) lives in the file's first
//! clusters, kept in memory as md pages (drivers/md/dm-ploop-*.c; the names
//! below are the driver's).
//!
//! A write to an unmapped cluster allocates one from the holes bitmap and
//! goes out at once, while the BAT page that will map it is copied into a
//! piwb (ploop_index_wb) and written back: md page write, then a flush of
//! the image (REQ_OP_FLUSH on the fsync worker), then the in-memory BAT is
//! published, then the data pios parked on the piwb complete. REQ_OP_FLUSH
//! from above is an fsync of the image. A write that hits ENOSPC in the
//! image's filesystem is parked and resubmitted after PLOOP_ENOSPC_TIMEOUT;
//! a partial write resubmits its remainder.
//!
//! The model follows drivers/md/dm-ploop-map.c at 9d144ac5da74
//! (OpenVZ/vzkernel, one workqueue with a worker and an fsync worker; the
//! "parallel pio processing" series was not available to read) with one
//! top delta over read-only snapshot deltas (COW from them; no merge) and
//! no tracking (docs/ploop.md lists every simplification); grow follows
//! dm-ploop-cmd.c.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "model/ploop/image_file.h"
#include "sim/completion.h"
#include "sim/workqueue.h"

namespace wbsim::model {

class World;

inline constexpr std::uint32_t kPloopMapOffset = 16;   // PLOOP_MAP_OFFSET
inline constexpr std::uint32_t kBatEntriesPerPage = kPageSize / 4;
inline constexpr std::uint32_t kBatEntryNone = UINT32_MAX;  // BAT_ENTRY_NONE
inline constexpr std::uint32_t kPageNrNone = UINT32_MAX;    // PAGE_NR_NONE
inline constexpr std::uint8_t kBatLevelInvalid = UINT8_MAX;  // BAT_LEVEL_INVALID
inline constexpr sim::Time kPloopEnospcTimeout = 20 * sim::kSec;  // PLOOP_ENOSPC_TIMEOUT

// blk_status_t, the values ploop produces.
enum class BlkStatus : std::uint8_t { ok, ioerr, nospc, resource, again };
BlkStatus errno_to_blk_status(long err);
int blk_status_to_errno(BlkStatus s);
const char* blk_status_name(BlkStatus s);

enum class PioOp : std::uint8_t { read, write, discard, flush };  // REQ_OP_*
inline bool op_is_write(PioOp op) { return op == PioOp::write || op == PioOp::discard; }

enum PloopList : std::uint8_t {
  PLOOP_LIST_PREPARE = 0,
  PLOOP_LIST_DEFERRED,
  PLOOP_LIST_FLUSH,
  PLOOP_LIST_DISCARD,
  PLOOP_LIST_COW,
  PLOOP_LIST_COUNT,
  PLOOP_LIST_INVALID = PLOOP_LIST_COUNT,
};

enum class PiwbType : std::uint8_t { alloc, reloc, discard };

inline constexpr unsigned MD_DIRTY = 1u << 1;      // the page has changes and wants writeback
inline constexpr unsigned MD_WRITEBACK = 1u << 2;  // writeback was submitted

struct Ploop;
struct PloopCow;
struct PloopIndexWb;
struct PloopRq;

struct Pio {
  Ploop* ploop = nullptr;
  std::uint32_t id = 0;
  PioOp bi_op = PioOp::read;
  // bi_iter: the sector and size left; the buffer is the request's bytes
  // from `buf_off` (bi_io_vec + bi_bvec_done).
  std::uint64_t bi_sector = 0;
  std::uint32_t bi_size = 0;
  std::vector<std::uint8_t>* buf = nullptr;
  std::size_t buf_off = 0;
  BlkStatus bi_status = BlkStatus::ok;
  int remaining = 1;
  std::function<void(Pio&, BlkStatus)> endio_cb;  // endio_cb with its data
  std::uint32_t clu = UINT32_MAX;
  std::uint8_t level = 0;
  bool is_data_alloc = false;
  bool wants_discard_index_cleanup = false;
  bool free_on_endio = false;
  bool inflight_ref = false;  // ref_index assigned (inflight_bios_ref)
  bool hashed = false;        // hlist_node linked (inflight or exclusive)
  bool exclusive = false;     // the link is a cluster lock
  PloopList queue_list_id = PLOOP_LIST_DEFERRED;
  PloopIndexWb* piwb = nullptr;
  std::deque<Pio*> endio_list;  // pios queued from this pio's end
  long ret = 0;                 // iocb result
  void (*complete)(Pio&) = nullptr;
  PloopRq* prq = nullptr;       // the request an embedded pio belongs to
  PloopCow* cow = nullptr;      // the COW an aux pio belongs to (its endio_cb_data)
  // Model only: the device cluster of the pio's last ploop_map_and_submit_rw
  // (bi_sector is a file sector after it), for the cluster lock checker.
  std::uint32_t dev_clu = UINT32_MAX;
};

// struct ploop_cow: copying a cluster from a lower delta into the top one
// before a write to it (read it whole, write it to a new cluster, update
// the index, then requeue the write, which finds it in the top delta).
struct PloopCow {
  Ploop* ploop = nullptr;
  std::uint32_t dst_clu = UINT32_MAX;  // BAT_ENTRY_NONE until stage #1
  Pio* aux_pio = nullptr;              // the cluster read, then written
  Pio* cow_pio = nullptr;              // the write that needs the copy; holds the cluster lock
  std::vector<std::uint8_t> pages;     // ploop_alloc_pio_with_pages()
};

struct MdPage {
  std::uint32_t id = 0;
  unsigned status = 0;                 // MD_DIRTY, MD_WRITEBACK
  std::vector<std::uint32_t> page;     // kBatEntriesPerPage entries (page 0 starts with the header)
  std::vector<std::uint8_t> bat_levels;
  std::deque<Pio*> wait_list;
  bool wb_linked = false;              // on wb_batch_list
  PloopIndexWb* piwb = nullptr;
};

struct PloopIndexWb {
  Ploop* ploop = nullptr;
  std::uint32_t id = 0;
  sim::Completion* comp = nullptr;
  BlkStatus* comp_bi_status = nullptr;
  PiwbType type = PiwbType::alloc;
  MdPage* md = nullptr;
  Pio* pio = nullptr;                       // the md page write, then its flush
  std::vector<std::uint32_t> bat_page;      // the copy being written
  std::vector<std::uint8_t> bat_bytes;      // bat_page as the bytes written
  std::deque<Pio*> ready_data_pios;
  std::deque<Pio*> cow_list;                // aux pios of COWs this update completes
  int count = 1;
  bool completed = false;
  BlkStatus bi_status = BlkStatus::ok;
  std::uint32_t page_id = kPageNrNone;
};

// A request from above (struct ploop_rq + its embedded pio).
struct PloopRq {
  std::uint32_t id = 0;
  PioOp op = PioOp::read;
  std::uint64_t sector = 0;
  std::uint32_t bytes = 0;           // blk_rq_bytes
  bool fua = false;                  // rq->cmd_flags & REQ_FUA
  std::vector<std::uint8_t> data;    // the request's pages
  Pio pio;
  std::function<void(BlkStatus)> done;  // dm_complete_request
};

struct PloopOptions {
  std::uint32_t cluster_log = 3;      // sectors per cluster, log2 (3: 4 KiB)
  std::uint32_t nr_bat_entries = 64;  // clusters of the device
  bool falloc_new_clu = false;        // fallocate() instead of truncate() for new clusters
  ImageFileOptions file;
  // Snapshot deltas under the top one, oldest first (ploop_make_image);
  // their files are only read.
  std::vector<std::vector<std::uint8_t>> lower_images;
};

struct Ploop {
  Ploop(World& w, const PloopOptions& options);
  ~Ploop();
  Ploop(const Ploop&) = delete;
  Ploop& operator=(const Ploop&) = delete;

  World& world;
  std::uint32_t id = 0;
  std::uint32_t cluster_log = 3;
  std::uint32_t nr_bat_entries = 0;
  bool falloc_new_clu = false;
  std::unique_ptr<ImageFile> file;   // the top delta
  std::vector<std::unique_ptr<ImageFile>> lower_deltas;  // deltas[0 .. top - 1], read-only
  loff_t file_size = 0;              // ploop_delta.file_size
  loff_t file_preallocated_area_start = 0;
  std::map<std::uint32_t, std::unique_ptr<MdPage>> bat_entries;  // md pages by id
  std::vector<bool> holes_bitmap;    // set: the file cluster is free
  std::deque<MdPage*> wb_batch_list;
  std::map<std::uint32_t, Pio*> exclusive_pios;             // cluster locks, by cluster
  std::map<std::uint32_t, std::vector<Pio*>> inflight_pios;  // submitted pios, by cluster
  std::deque<Pio*> pios[PLOOP_LIST_COUNT];
  std::deque<Pio*> resubmit_pios;  // after partial I/O
  std::deque<Pio*> enospc_pios;    // delayed after ENOSPC
  std::deque<Pio*> suspended_pios;
  bool stop_submitting_pios = false;
  bool wants_suspend = false;
  bool event_enospc = false;
  int inflight = 0;                // inflight_bios_ref
  std::uint64_t enospc_timer_gen = 0;
  bool enospc_timer_armed = false;
  std::unique_ptr<sim::Workqueue> wq;
  std::unique_ptr<sim::Work> worker;
  std::unique_ptr<sim::Work> fsync_worker;
  std::unique_ptr<sim::WaitQueue> idle_wq;  // woken as requests complete
  std::vector<std::unique_ptr<Pio>> pio_pool;
  std::vector<std::unique_ptr<PloopIndexWb>> piwbs;
  std::vector<std::unique_ptr<PloopCow>> cows;
  std::vector<std::unique_ptr<PloopRq>> requests;
  std::uint32_t next_pio_id = 1;
  std::uint32_t next_piwb_id = 1;
  std::uint32_t next_rq_id = 1;
  std::uint64_t next_bio_id = 1;
  int rqs_in_flight = 0;
  bool healed = false;

  std::uint32_t clu_size() const { return kSectorSize << cluster_log; }  // CLU_SIZE
  std::uint8_t top_level() const { return static_cast<std::uint8_t>(lower_deltas.size()); }  // ploop_top_level
  std::uint32_t nr_deltas() const { return top_level() + 1u; }
  std::uint32_t nr_bat_clusters() const;                                 // ploop_nr_bat_clusters
};

// The image a fresh device is created on: header, BAT of zeros (nothing
// mapped), file size the BAT's clusters.
std::vector<std::uint8_t> ploop_format_image(std::uint32_t cluster_log, std::uint32_t nr_bat_entries);
// An image mapping the given device clusters, in order, to file clusters
// right after its BAT, each holding the given cluster of data (a snapshot
// delta for PloopOptions::lower_images).
std::vector<std::uint8_t> ploop_make_image(std::uint32_t cluster_log, std::uint32_t nr_bat_entries,
                                           const std::map<std::uint32_t, std::vector<std::uint8_t>>& clusters);

// What re-opening an image finds (ploop_setup_metadata,
// ploop_read_delta_metadata, convert_bat_entries): the BAT (kBatEntryNone
// for unmapped) or the error the ctr would fail with.
struct PloopImageView {
  int error = 0;
  std::string why;
  std::uint32_t cluster_log = 0;
  std::uint32_t nr_bat_entries = 0;
  std::vector<std::uint32_t> bat;
};
PloopImageView ploop_open_image(const std::vector<std::uint8_t>& image, std::uint32_t cluster_log);

// A bio from above, waited for (submit_bio_wait through the dm device's
// request queue). The queue has a write cache and FUA (dm, for a target
// with flush_supported): blk-flush sends REQ_PREFLUSH as a flush request
// before the data and leaves REQ_FUA on the data request, which the driver
// then drops (docs/ploop.md, F11). Returns the status; a read fills `out`.
struct PloopBio {
  PioOp op = PioOp::write;
  loff_t pos = 0;
  std::uint32_t len = 0;                // read or discard
  std::vector<std::uint8_t> data;       // write
  bool fua = false;
  bool preflush = false;
};
BlkStatus ploop_submit_bio_wait(Ploop& ploop, const PloopBio& bio, std::vector<std::uint8_t>* out = nullptr);

// dm suspend / resume (presuspend, postsuspend, preresume): new requests are
// held while suspended and run at resume.
void ploop_suspend(Ploop& ploop);
void ploop_resume(Ploop& ploop);

// Grows the device to `new_sectors` (`dmsetup message ... resize`,
// ploop_resize in dm-ploop-cmd.c): relocates the data clusters the larger
// BAT needs, writes the new header; new requests wait meanwhile. 0 or
// -errno (-EINVAL for a shrink or an unaligned size).
int ploop_resize(Ploop& ploop, std::uint64_t new_sectors);

// A scripted power cut now: the crash checkers evaluate the image as a cut
// here would leave it (what the `ploop.power_cut` fault site does at
// random).
void ploop_power_cut(Ploop& ploop);

// The in-memory BAT entry of a device cluster (ploop_bat_entries) and the
// level of the delta it points into.
std::uint32_t ploop_bat_entry(const Ploop& ploop, std::uint32_t clu);
std::uint8_t ploop_bat_level(const Ploop& ploop, std::uint32_t clu);

}  // namespace wbsim::model
