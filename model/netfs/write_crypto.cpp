// Pin: no mainline counterpart (the seed design's crypto stage) (gregkh/linux, 2026; docs/fidelity.md).
// The asynchronous content-encryption stage of the new writeback design
// ("Content crypto can also be prepared at the same time as the subrequests
// and run asynchronously, with the prepped requests being stalled until the
// crypto catches up with them"). Mainline netfs leaves this as TODOs; the
// model implements the design so its interaction with the issuer, the
// collector and retry can be explored. Buffered origins only.
#include <cstring>

#include <fmt/format.h>

#include "model/netfs/internal.h"
#include "model/netfs/marks.h"
#include "sim/assert.h"
#include "sim/scheduler.h"

namespace wbsim::model {

WBSIM_MARK(kMarkCryptoStall, "netfs.crypto_stall", "a prepared subrequest waited for the crypto to catch up");

namespace {

// Issues every stalled subrequest the crypto has now covered, in the order
// they were stalled (so each stream stays in ascending order).
void netfs_issue_crypto_ready(NetfsIoRequest& wreq) {
  std::deque<NetfsIoSubrequest*> still;
  std::deque<NetfsIoSubrequest*> ready;
  for (NetfsIoSubrequest* subreq : wreq.crypto_stalled) {
    (subreq->start + static_cast<loff_t>(subreq->len) <= wreq.crypto_to ? ready : still).push_back(subreq);
  }
  wreq.crypto_stalled.swap(still);
  for (NetfsIoSubrequest* subreq : ready) wreq.io_streams[subreq->stream_nr].issue_write(*subreq);
}

void netfs_encrypt_worker(NetfsIoRequest& wreq) {
  while (!wreq.crypto_queue.empty()) {
    Folio& folio = *wreq.crypto_queue.front();
    wreq.crypto_queue.pop_front();
    sim::sleep(wreq.inode->crypto_ns_per_page * folio.nr_pages());
    std::vector<std::uint8_t> out(folio.size());
    const loff_t fpos = folio.pos();
    for (std::uint64_t i = 0; i < out.size(); ++i) out[i] = netfs_encrypt_byte(folio.data[i], fpos + static_cast<loff_t>(i));
    wreq.crypto_buffer[fpos] = std::move(out);
    wreq.crypto_to = fpos + static_cast<loff_t>(folio.size());
    netfs_issue_crypto_ready(wreq);
  }
  netfs_put_request(wreq);
}

}  // namespace

void netfs_queue_encrypt(NetfsIoRequest& wreq, Folio& folio) {
  if (!wreq.crypto_work) {
    wreq.crypto_work = std::make_unique<sim::Work>(fmt::format("R={:08x}.crypt", wreq.debug_id),
                                                   [&wreq] { netfs_encrypt_worker(wreq); });
  }
  wreq.crypto_queue.push_back(&folio);
  netfs_get_request(wreq);
  if (!wreq.inode->crypto_wq->queue_work(*wreq.crypto_work)) netfs_put_request(wreq);
}

bool netfs_stall_for_crypto(NetfsIoRequest& wreq, NetfsIoSubrequest& subreq) {
  if (!wreq.crypto) return false;
  if (subreq.start + static_cast<loff_t>(subreq.len) <= wreq.crypto_to) return false;
  mark(kMarkCryptoStall);
  wreq.crypto_stalled.push_back(&subreq);
  return true;
}

void netfs_free_crypto_below(NetfsIoRequest& wreq, loff_t cleaned_to) {
  while (!wreq.crypto_buffer.empty()) {
    auto it = wreq.crypto_buffer.begin();
    if (it->first + static_cast<loff_t>(it->second.size()) > cleaned_to) break;
    wreq.crypto_buffer.erase(it);
  }
}

}  // namespace wbsim::model
