//! Inside model/dio: the page-adding paths the four coherency designs
//! guard, and each design's hooks (model/dio/coherency.cpp).
#pragma once

#include "model/dio/local.h"

namespace wbsim::model {

// Who adds pages, for the designs that treat them differently.
enum class Adder : std::uint8_t { read, write, fault, mkwrite };

// Brackets a path that may add pages to the cache (or, for mkwrite, dirty
// one): the design's lock or wait. Returns 0, or -EDEADLK for a fault the
// design refuses (faults_disabled_mapping). End it only after a 0.
int coherency_add_begin(LocalInode& inode, Adder who);
void coherency_add_end(LocalInode& inode, Adder who);
// Just before a folio is added at `index`, with no scheduling point between
// (as xa_lock makes it one step): lock-entries waits here for an entry.
void coherency_before_add(LocalInode& inode, pgoff_t index);

// Reads the absent folios of [index, index + nr) in (page_cache_ra_unbounded
// and the filesystem's ->readahead): adds each locked, submits its read;
// the bios unlock them. Inside a coherency_add bracket.
void local_readahead(LocalInode& inode, pgoff_t index, unsigned nr);
// The folio at `index`, uptodate, referenced, or null if it is past EOF.
Folio* local_get_uptodate_folio(LocalInode& inode, pgoff_t index, Adder who, int* error);
// The load a gup (or an mmap read) of one page does: copies the bytes of
// [pos, pos+len) within one page. -EDEADLK if the design refuses the fault.
int local_fault_read(LocalInode& inode, loff_t pos, std::uint64_t len, std::uint8_t* out);
// The copy of a buffered write, without its locks (the caller holds them):
// the dio-via-pagecache design's DIO takes this path when i_pages is not empty.
void local_copy_into_cache(LocalInode& inode, loff_t pos, const std::vector<std::uint8_t>& data);
void local_set_size(LocalInode& inode, loff_t size);

}  // namespace wbsim::model
