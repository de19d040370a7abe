//! The user buffer of a read or write call (include/linux/uio.h, lib/iov_iter.c):
//! an ITER_UBUF over the application's bytes, with the calls the netfs write
//! path makes on it.
//!
//! The user buffer is modelled as page-aligned memory that can lose a page
//! between fault-in and copy (reclaim of a file-backed or swap-backed buffer
//! under memory pressure): copy_folio_from_iter_atomic() then stops at that
//! user page's boundary, perhaps having copied nothing. The fault site
//! `user.copy_short` decides when.
#pragma once

#include <cstdint>
#include <span>

#include "model/mm/folio.h"

namespace wbsim::model {

struct IovIter {
  std::span<const std::uint8_t> ubuf;  // the whole user buffer
  std::size_t iov_offset = 0;          // consumed so far
  std::size_t count = 0;               // left to consume (may be truncated below the buffer)
};

inline IovIter iov_iter_ubuf(std::span<const std::uint8_t> buf) { return {buf, 0, buf.size()}; }
inline std::size_t iov_iter_count(const IovIter& i) { return i.count; }
void iov_iter_advance(IovIter& i, std::size_t bytes);
void iov_iter_revert(IovIter& i, std::size_t bytes);
// The bytes not yet consumed, starting at the iterator's position.
inline std::span<const std::uint8_t> iov_iter_remaining(const IovIter& i) { return i.ubuf.subspan(i.iov_offset, i.count); }

// fault_in_iov_iter_readable(): how many of `bytes` could NOT be faulted in.
// The model's buffers are always mapped, so 0.
std::size_t fault_in_iov_iter_readable(const IovIter& i, std::size_t bytes);

// copy_folio_from_iter_atomic(): copies up to `bytes` into the folio at
// `offset` with page faults disabled and advances the iterator by what it
// copied, which may be short (see above).
std::size_t copy_folio_from_iter_atomic(Folio& folio, std::size_t offset, std::size_t bytes, IovIter& i);

// Switches the user.copy_short site off for the rest of the run: the
// application's buffer is anonymous memory on a machine without swap (fsx).
void forbid_user_copy_faults();
// Switches it on for the rest of the run, firing on one copy in `one_in`.
void force_user_copy_faults(std::uint32_t one_in);

}  // namespace wbsim::model
