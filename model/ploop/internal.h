//! dm-ploop internals shared between the files of model/ploop/, sectioned by
//! the file that defines them. dm-ploop-map.c is split in five here
//! (map_pio.cpp, map_bat.cpp, map_discard.cpp, map_cow.cpp, map_work.cpp)
//! to keep files short; each function keeps the driver's name.
#pragma once

#include "model/ploop/ploop.h"

namespace wbsim::model {

// --- map_pio.cpp: pios, lists, cluster locks, completion -----------------------
void ploop_init_pio(Ploop& ploop, PioOp bi_op, Pio& pio);
Pio& ploop_alloc_pio(Ploop& ploop);
void ploop_index_wb_init(PloopIndexWb& piwb, Ploop& ploop);
void ploop_init_prq_and_embedded_pio(Ploop& ploop, PloopRq& prq, Pio& pio);
void ploop_pio_endio(Pio& pio);
void ploop_do_pio_endio(Pio& pio);
void ploop_pio_advance(Pio& pio, std::uint32_t bytes);
int ploop_split_pio_to_list(Ploop& ploop, Pio& pio, std::deque<Pio*>& ret_list);
void ploop_dispatch_pios(Ploop& ploop, Pio* pio, std::deque<Pio*>* pio_list);
bool ploop_delay_if_md_busy(Ploop& ploop, MdPage& md, PiwbType type, Pio& pio);
void ploop_zero_fill_pio(Pio& pio);
bool ploop_postpone_if_cluster_locked(Ploop& ploop, Pio& pio, std::uint32_t clu);
void ploop_add_cluster_lk(Ploop& ploop, Pio& pio, std::uint32_t clu);
void ploop_del_cluster_lk(Ploop& ploop, Pio& pio);
void ploop_link_submitting_pio(Ploop& ploop, Pio& pio, std::uint32_t clu);
Pio* ploop_find_inflight_bio(Ploop& ploop, std::uint32_t clu);
void ploop_add_endio_pio(Pio& head, Pio& pio);
void ploop_inc_nr_inflight(Ploop& ploop, Pio& pio);
bool ploop_pio_endio_if_all_zeros(Pio& pio);
void ploop_submit_rw_mapped(Ploop& ploop, Pio& pio);
void ploop_remap_to_cluster(Ploop& ploop, Pio& pio, std::uint32_t clu);
void ploop_map_and_submit_rw(Ploop& ploop, std::uint32_t dst_clu, Pio& pio, std::uint8_t level);
void ploop_queue_resubmit(Pio& pio);

// --- map_bat.cpp: index writeback and cluster allocation ------------------------
bool ploop_md_make_dirty(Ploop& ploop, MdPage& md);
int ploop_prepare_bat_update(Ploop& ploop, MdPage& md, PiwbType type);
void ploop_break_bat_update(Ploop& ploop, MdPage& md);
int ploop_alloc_cluster(Ploop& ploop, PloopIndexWb& piwb, std::uint32_t clu, std::uint32_t* dst_clu);
int ploop_allocate_cluster(Ploop& ploop, std::uint32_t* dst_clu);
bool ploop_data_pio_end(Pio& pio);
void ploop_attach_end_action(Pio& pio, PloopIndexWb& piwb);
void ploop_index_wb_submit(Ploop& ploop, PloopIndexWb& piwb);
MdPage& ploop_md_page_find(Ploop& ploop, std::uint32_t id);
std::uint32_t ploop_bat_entries(Ploop& ploop, std::uint32_t clu, std::uint8_t* level, MdPage** md);
bool ploop_cluster_is_in_top_delta(Ploop& ploop, std::uint32_t clu);
void ploop_hole_set_bit(std::uint32_t nr, Ploop& ploop);
void ploop_hole_clear_bit(std::uint32_t nr, Ploop& ploop);

// md->status changes, traced and announced to the checkers.
void ploop_set_md_status(Ploop& ploop, MdPage& md, unsigned status);

// vfs_fsync of the top delta's file, announced to the checkers and traced.
int ploop_fsync_image(Ploop& ploop);

// --- map_work.cpp: the workers and submission ----------------------------------
void do_ploop_work(Ploop& ploop);
void do_ploop_fsync_work(Ploop& ploop);
void ploop_submit_embedded_pio(Ploop& ploop, Pio& pio);
void ploop_submit_embedded_pios(Ploop& ploop, std::deque<Pio*>& list);
void ploop_enospc_timer(Ploop& ploop);

// --- map_discard.cpp: discard ------------------------------------------------------
void ploop_handle_discard_pio(Ploop& ploop, Pio& pio, std::uint32_t clu, std::uint32_t dst_clu);
void ploop_process_one_discard_pio(Ploop& ploop, Pio& pio);

// --- map_cow.cpp: copy-on-write from a snapshot delta ---------------------------
void ploop_initiate_cluster_cow(Ploop& ploop, std::uint8_t level, std::uint32_t clu, std::uint32_t dst_clu, Pio& pio);
void ploop_process_delta_cow(Ploop& ploop, std::deque<Pio*>& cow_list);
void ploop_complete_cow(PloopCow& cow, BlkStatus bi_status);

// --- cmd.cpp: service commands (dm-ploop-cmd.c) ------------------------------
int ploop_prepare_reloc_index_wb(Ploop& ploop, MdPage** ret_md, std::uint32_t clu, std::uint32_t* dst_clu);

// BAT index helpers (dm-ploop.h).
inline std::uint32_t ploop_bat_clu_to_page_nr(std::uint32_t clu) {
  return static_cast<std::uint32_t>((std::uint64_t{clu} + kPloopMapOffset) * 4 / kPageSize);
}
inline std::uint32_t ploop_bat_clu_idx_in_page(std::uint32_t clu) { return (clu + kPloopMapOffset) % kBatEntriesPerPage; }

}  // namespace wbsim::model
