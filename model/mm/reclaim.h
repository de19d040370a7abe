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
//! kswapd (model/mm/kswapd.h) is woken below the low watermark and reclaims
//! in the background up to the high one; it never waits on writeback and
//! wakes the flusher when it meets dirty folios. Allocations without
//! __GFP_DIRECT_RECLAIM fail below the min watermark; __GFP_NORETRY ones
//! (mempools) fail after one fruitless round of direct reclaim.
//!
//! Not modelled: zones, per-memcg budgets, LRU ageing and activation, the
//! OOM killer (a blocking allocation that reclaims nothing in three rounds
//! takes its pages anyway, as if the OOM killer had freed them).
#pragma once

#include <cstdint>

#include "model/mm/filemap.h"

namespace wbsim::model {

using gfp_t = unsigned;
inline constexpr gfp_t __GFP_IO = 1u;
inline constexpr gfp_t __GFP_FS = 2u;
inline constexpr gfp_t __GFP_DIRECT_RECLAIM = 4u;
inline constexpr gfp_t __GFP_NORETRY = 8u;
inline constexpr gfp_t __GFP_HIGH = 16u;  // may dip into the reserves below min (GFP_ATOMIC)
inline constexpr gfp_t GFP_KERNEL = __GFP_IO | __GFP_FS | __GFP_DIRECT_RECLAIM;
inline constexpr gfp_t GFP_NOFS = __GFP_IO | __GFP_DIRECT_RECLAIM;
inline constexpr gfp_t GFP_NOIO = __GFP_DIRECT_RECLAIM;
inline constexpr gfp_t GFP_NOWAIT = 0u;
inline constexpr gfp_t GFP_ATOMIC = __GFP_HIGH;

// Takes `nr` pages, or returns false. Below the low watermark kswapd is
// woken; a context with __GFP_DIRECT_RECLAIM reclaims first (it may sleep
// there). Without __GFP_DIRECT_RECLAIM the allocation fails below min
// (GFP_ATOMIC: below half of min); with __GFP_NORETRY it fails after one
// fruitless round; otherwise it succeeds (see "OOM" above).
bool alloc_pages(Mm& mm, unsigned nr, gfp_t gfp);
void free_pages(Mm& mm, unsigned nr);

// The allocation of a page-cache folio, or of a user process's memory, for
// its reclaim: the pages are given back at once (a folio is charged when it
// joins the cache). `gfp` may direct-reclaim without __GFP_NORETRY, so the
// allocation is too small to fail (__alloc_pages_slowpath retries an order
// <= PAGE_ALLOC_COSTLY_ORDER, a page fault OOM-kills): asserted.
void alloc_pages_for_reclaim(Mm& mm, unsigned nr, gfp_t gfp);
std::int64_t high_wmark(const Mm& mm);

// The clean-folio end of shrink_folio_list: trylock, ->release_folio, the
// reference freeze, removal. False if the folio stays.
bool evict_clean_folio(AddressSpace& mapping, Folio& folio);

// One pass of shrink_folio_list over every reclaimable mapping, trying to
// free `nr_to_reclaim` pages; returns the pages freed. kswapd never waits
// on writeback (it is not legacy memcg reclaim).
std::uint64_t shrink_folio_list(Mm& mm, gfp_t gfp, std::uint64_t nr_to_reclaim, bool is_kswapd = false);

}  // namespace wbsim::model
