//! The page budget and reclaim (mm/page_alloc.c, mm/vmscan.c, reduced).
//!
//! Mm::free_pages counts what is left; page-cache folios are charged when
//! added and uncharged when removed. alloc_pages() from a fiber takes pages
//! with a GFP-like context; below the low watermark a context that may
//! reclaim enters direct reclaim in the allocating fiber first. Reclaim
//! walks the registered mappings' folios (the LRU, in index order) with
//! shrink_folio_list's cases for a folio under writeback: mark it
//! PG_reclaim and move on, or, in legacy memcg reclaim with PG_reclaim
//! already set and a context that may enter the filesystem, wait for the
//! writeback (case 3) -- unless the mapping says its writeback may deadlock
//! on reclaim. Dirty folios are skipped (reclaim does not write filesystem
//! folios); clean ones are evicted.
//!
//! Not modelled: zones, per-memcg budgets, LRU ageing and activation,
//! kswapd (direct reclaim only), compaction, OOM.
#pragma once

#include <cstdint>

#include "model/mm/filemap.h"

namespace wbsim::model {

using gfp_t = unsigned;
inline constexpr gfp_t __GFP_IO = 1u;
inline constexpr gfp_t __GFP_FS = 2u;
inline constexpr gfp_t __GFP_DIRECT_RECLAIM = 4u;
inline constexpr gfp_t GFP_KERNEL = __GFP_IO | __GFP_FS | __GFP_DIRECT_RECLAIM;
inline constexpr gfp_t GFP_NOFS = __GFP_IO | __GFP_DIRECT_RECLAIM;
inline constexpr gfp_t GFP_NOIO = __GFP_DIRECT_RECLAIM;
inline constexpr gfp_t GFP_ATOMIC = 0u;

// Takes `nr` pages. Below the low watermark a context with
// __GFP_DIRECT_RECLAIM reclaims first (it may sleep there); the pages are
// then taken from the reserves whatever reclaim achieved (no OOM here).
void alloc_pages(Mm& mm, unsigned nr, gfp_t gfp);
void free_pages(Mm& mm, unsigned nr);

// One pass of shrink_folio_list over every reclaimable mapping, trying to
// free `nr_to_reclaim` pages; returns the pages freed.
std::uint64_t shrink_folio_list(Mm& mm, gfp_t gfp, std::uint64_t nr_to_reclaim);

}  // namespace wbsim::model
