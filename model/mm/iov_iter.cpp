#include "model/mm/iov_iter.h"

#include <cstring>

#include "sim/assert.h"
#include "sim/fault.h"
#include "sim/scheduler.h"

namespace wbsim::model {

WBSIM_FAULT_SITE(kUserCopyShort, "user.copy_short",
                 "copy_folio_from_iter_atomic stops at a user page reclaimed after fault-in");

void iov_iter_advance(IovIter& i, std::size_t bytes) {
  SIM_ASSERT_CMP(bytes, <=, i.count);
  i.iov_offset += bytes;
  i.count -= bytes;
}

void iov_iter_revert(IovIter& i, std::size_t bytes) {
  SIM_ASSERT_CMP(bytes, <=, i.iov_offset);
  i.iov_offset -= bytes;
  i.count += bytes;
}

std::size_t fault_in_iov_iter_readable(const IovIter& i, std::size_t bytes) {
  (void)i;
  (void)bytes;
  return 0;
}

std::size_t copy_folio_from_iter_atomic(Folio& folio, std::size_t offset, std::size_t bytes, IovIter& i) {
  SIM_ASSERT_CMP(offset + bytes, <=, folio.size());
  if (bytes > i.count) bytes = i.count;
  std::size_t copied = bytes;
  if (bytes > 0 && sim::fault(kUserCopyShort)) {
    // The copy stops at the start of a user page that is gone: the first
    // one touched (nothing copied) or one further in.
    const std::size_t first = i.iov_offset;
    const std::size_t next_page = (first / kPageSize + 1) * kPageSize;
    const std::size_t stops = next_page >= first + bytes ? 1 : 1 + (first + bytes - 1 - next_page) / kPageSize + 1;
    const std::size_t pick = sim::draw(static_cast<std::uint32_t>(stops));
    copied = pick == 0 ? 0 : next_page + (pick - 1) * kPageSize - first;
    SIM_ASSERT_CMP(copied, <, bytes);
  }
  std::memcpy(folio.data.data() + offset, i.ubuf.data() + i.iov_offset, copied);
  iov_iter_advance(i, copied);
  return copied;
}

void forbid_user_copy_faults() { sim::Scheduler::current().faults().disable(kUserCopyShort); }

void force_user_copy_faults(std::uint32_t one_in) { sim::Scheduler::current().faults().force(kUserCopyShort, one_in); }

}  // namespace wbsim::model
