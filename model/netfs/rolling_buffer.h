//! Pin: fs/netfs/rolling_buffer.c at 42d3b66d4cdb and include/linux/folio_queue.h (docs/fidelity.md).
//! The rolling buffer of a write request: a chain of folio_queue segments of
//! 31 slots each (a folio_batch), appended at the head by the issuer and
//! consumed at the tail by the collector, which frees each spent segment
//! while the issuer may still be appending. The last segment is never
//! freed: it stays as the placeholder that keeps the queue from collapsing.
//! A freed segment is kept (marked freed) so a later use is caught.
//!
//! The master iterator (`iter`, an ITER_FOLIOQ) is the issuer's position;
//! subrequests carry positional byte ranges (request.h), resolved through
//! the live segments when they are sent.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "model/mm/folio.h"

namespace wbsim::model {

// struct folio_queue.
struct FolioQueue {
  static constexpr unsigned kNrSlots = 31;  // folioq_nr_slots(): PAGEVEC_SIZE
  Folio* folios[kNrSlots] = {};
  std::uint8_t orders[kNrSlots] = {};
  unsigned nr = 0;             // folioq_count()
  std::uint32_t marks = 0;     // folioq_mark(): ROLLBUF_MARK_1, the buffer's own folio reference
  FolioQueue* next = nullptr;
  FolioQueue* prev = nullptr;
  std::uint32_t debug_id = 0;
  bool freed = false;          // netfs_folioq_free() ran: any use is a use after free
  std::uint64_t folio_size(unsigned slot) const { return kPageSize << orders[slot]; }
};

inline constexpr unsigned ROLLBUF_MARK_1 = 1u << 0;  // NETFS_ROLLBUF_PUT_MARK

struct RollingBuffer {
  FolioQueue* head = nullptr;  // where the issuer appends
  FolioQueue* tail = nullptr;  // where the collector consumes
  struct Iter {                // iov_iter of type ITER_FOLIOQ
    FolioQueue* folioq = nullptr;
    unsigned folioq_slot = 0;
    std::uint64_t iov_offset = 0;
    std::uint64_t count = 0;
  } iter;
  unsigned next_head_slot = 0;
  unsigned first_tail_slot = 0;
  std::vector<std::unique_ptr<FolioQueue>> segments;  // every segment ever allocated (freed ones kept)
};

FolioQueue* netfs_folioq_alloc(RollingBuffer& roll, std::uint32_t rreq_id);
void netfs_folioq_free(FolioQueue& folioq);
void rolling_buffer_init(RollingBuffer& roll, std::uint32_t rreq_id);
int rolling_buffer_make_space(RollingBuffer& roll);
std::uint64_t rolling_buffer_append(RollingBuffer& roll, Folio& folio, unsigned flags);
FolioQueue* rolling_buffer_delete_spent(RollingBuffer& roll);
// Puts the folios appended with ROLLBUF_MARK_1 and frees every segment.
void rolling_buffer_clear(RollingBuffer& roll);
// rolling_buffer_advance(): iov_iter_advance() of the master iterator.
void rolling_buffer_advance(RollingBuffer& roll, std::uint64_t amount);
// Where the master iterator stands, as a file position: the folio in its
// slot plus its offset in that folio. A subrequest's io_iter is a copy of
// the master iterator (netfs_prepare_write), so this is where its bytes
// start, whatever the subrequest's `start` says.
loff_t rolling_buffer_iter_pos(const RollingBuffer& roll);
// The live folio holding byte `pos`, or null (the model's lookup for
// resolving a subrequest's positional iterator).
const Folio* rolling_buffer_find(const RollingBuffer& roll, loff_t pos);
// Calls fn(const Folio&) for every folio held in a live segment, tail first
// (for checkers).
template <typename Fn>
void rolling_buffer_for_each(const RollingBuffer& roll, Fn fn) {
  for (const FolioQueue* fq = roll.tail; fq != nullptr; fq = fq->next) {
    for (unsigned slot = 0; slot < fq->nr; ++slot) {
      if (fq->folios[slot] != nullptr) fn(*fq->folios[slot]);
    }
  }
}

}  // namespace wbsim::model
