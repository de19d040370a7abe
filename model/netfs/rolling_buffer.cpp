// Pin: fs/netfs/rolling_buffer.c at 42d3b66d4cdb (torvalds/linux, 2026; docs/fidelity.md).
#include "model/netfs/rolling_buffer.h"

#include "sim/assert.h"
#include "sim/coverage.h"

namespace wbsim::model {

WBSIM_MARK(kMarkFolioqSpent, "netfs.folioq_spent", "the collector freed a spent folio_queue segment");
WBSIM_MARK(kMarkFolioqMakeSpace, "netfs.folioq_make_space", "the issuer added a folio_queue segment to the buffer");

FolioQueue* netfs_folioq_alloc(RollingBuffer& roll, std::uint32_t rreq_id) {
  (void)rreq_id;
  roll.segments.push_back(std::make_unique<FolioQueue>());
  FolioQueue* fq = roll.segments.back().get();
  fq->debug_id = static_cast<std::uint32_t>(roll.segments.size());
  return fq;
}

void netfs_folioq_free(FolioQueue& folioq) {
  SIM_ASSERT_MSG(!folioq.freed, "folio_queue {} freed twice", folioq.debug_id);
  folioq.freed = true;
}

void rolling_buffer_init(RollingBuffer& roll, std::uint32_t rreq_id) {
  FolioQueue* fq = netfs_folioq_alloc(roll, rreq_id);
  roll.head = fq;
  roll.tail = fq;
  roll.iter = {fq, 0, 0, 0};  // iov_iter_folio_queue(&roll->iter, direction, fq, 0, 0, 0)
}

int rolling_buffer_make_space(RollingBuffer& roll) {
  FolioQueue* head = roll.head;
  if (head->nr < FolioQueue::kNrSlots) return 0;  // !folioq_full(head)
  FolioQueue* fq = netfs_folioq_alloc(roll, 0);
  sim::mark(kMarkFolioqMakeSpace);
  fq->prev = head;
  roll.head = fq;
  // Make sure we don't leave the master iterator pointing to a block that
  // might get immediately consumed.
  if (roll.iter.folioq == head && roll.iter.folioq_slot == FolioQueue::kNrSlots) {
    roll.iter.folioq = fq;
    roll.iter.folioq_slot = 0;
  }
  // After we set head->next, the consumer is at liberty to immediately
  // delete the old head.
  head->next = fq;
  return 0;
}

std::uint64_t rolling_buffer_append(RollingBuffer& roll, Folio& folio, unsigned flags) {
  const std::uint64_t size = folio.size();
  rolling_buffer_make_space(roll);
  FolioQueue& fq = *roll.head;
  SIM_ASSERT(!fq.freed && fq.nr < FolioQueue::kNrSlots);
  const unsigned slot = fq.nr++;  // folioq_append()
  fq.folios[slot] = &folio;
  fq.orders[slot] = static_cast<std::uint8_t>(folio.order);
  if (flags & ROLLBUF_MARK_1) fq.marks |= 1u << slot;
  roll.iter.count += size;
  roll.next_head_slot = slot;
  return size;
}

FolioQueue* rolling_buffer_delete_spent(RollingBuffer& roll) {
  FolioQueue* spent = roll.tail;
  FolioQueue* next = spent->next;
  if (next == nullptr) return nullptr;
  next->prev = nullptr;
  sim::mark(kMarkFolioqSpent);
  netfs_folioq_free(*spent);
  roll.tail = next;
  return next;
}

void rolling_buffer_clear(RollingBuffer& roll) {
  while (FolioQueue* p = roll.tail) {
    roll.tail = p->next;
    for (unsigned slot = 0; slot < p->nr; ++slot) {
      Folio* folio = p->folios[slot];
      if (folio == nullptr) continue;
      if (p->marks & (1u << slot)) folio_put(*folio);
    }
    netfs_folioq_free(*p);
  }
  roll.head = nullptr;
}

void rolling_buffer_advance(RollingBuffer& roll, std::uint64_t amount) {
  RollingBuffer::Iter& i = roll.iter;
  if (i.count == 0 || amount == 0) return;
  SIM_ASSERT_CMP(amount, <=, i.count);
  i.count -= amount;
  unsigned slot = i.folioq_slot;
  FolioQueue* folioq = i.folioq;
  std::uint64_t size = amount + i.iov_offset;
  do {
    SIM_ASSERT_MSG(!folioq->freed, "the master iterator walks folio_queue {} after it was freed", folioq->debug_id);
    SIM_ASSERT_MSG(slot < FolioQueue::kNrSlots, "the master iterator advanced past the rolling buffer's head");
    const std::uint64_t fsize = folioq->folio_size(slot);
    if (size < fsize) break;
    size -= fsize;
    ++slot;
    if (slot >= FolioQueue::kNrSlots && folioq->next != nullptr) {
      folioq = folioq->next;
      slot = 0;
    }
  } while (size != 0);
  i.iov_offset = size;
  i.folioq_slot = slot;
  i.folioq = folioq;
}

loff_t rolling_buffer_iter_pos(const RollingBuffer& roll) {
  const RollingBuffer::Iter& i = roll.iter;
  SIM_ASSERT(i.folioq != nullptr);
  SIM_ASSERT_MSG(!i.folioq->freed, "the master iterator stands in folio_queue {} after it was freed",
                 i.folioq->debug_id);
  SIM_ASSERT_MSG(i.folioq_slot < i.folioq->nr, "the master iterator stands past the buffer's last folio (slot {} of {})",
                 i.folioq_slot, i.folioq->nr);
  const Folio* folio = i.folioq->folios[i.folioq_slot];
  SIM_ASSERT_MSG(folio != nullptr, "the master iterator stands on a slot the collector cleared");
  SIM_ASSERT_CMP(i.iov_offset, <, folio->size());
  return folio->pos() + static_cast<loff_t>(i.iov_offset);
}

const Folio* rolling_buffer_find(const RollingBuffer& roll, loff_t pos) {
  for (const FolioQueue* fq = roll.tail; fq != nullptr; fq = fq->next) {
    SIM_ASSERT_MSG(!fq->freed, "folio_queue {} used after it was freed", fq->debug_id);
    for (unsigned slot = 0; slot < fq->nr; ++slot) {
      const Folio* f = fq->folios[slot];
      if (f != nullptr && f->pos() <= pos && pos < f->pos() + static_cast<loff_t>(f->size())) return f;
    }
  }
  return nullptr;
}

}  // namespace wbsim::model
