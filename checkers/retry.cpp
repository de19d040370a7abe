// iterator and refcount: retry conservation (N12).
//
// iterator  every time a subrequest is issued (first send or retry), its
//           io_iter covers exactly the residual range
//           [start + transferred, start + len): a wrong rewind sends bytes
//           from the wrong place of the buffer (C16).
// refcount  once the world is quiescent, every reference taken on a request
//           or a subrequest has been dropped: an extra subrequest inserted
//           by the retry path is no exception (C15). A page-cache folio
//           holds the cache's reference and one for its private data, no
//           more (folio_expected_ref_count(): a leaked one makes migration
//           and reclaim give up on the folio for good); a folio out of the
//           page cache holds none, so it has been freed (a leaked one is
//           memory the system never gets back); nor does a freed
//           request keep a segment of its rolling buffer. Every
//           inode_dio_begin() has its inode_dio_end() (a leaked i_dio_count
//           hangs every later inode_dio_wait()). An encrypting request
//           frees the ciphertext of what its collector cleaned by the end
//           of each collector pass, as it frees spent segments. Every
//           netfs_folio record a streaming write allocated is attached to
//           a folio or freed (kmemleak would report a lost one). Every
//           page alloc_pages() or a mempool's reserve handed out is given
//           back (free_pages(), mempool_free()).
#include "checkers/checker.h"
#include "model/backend/rfs.h"
#include "model/netfs/internal.h"
#include "model/world.h"

namespace wbsim::checkers {

WBSIM_CHECKER(kIterator, "iterator", "an issued subrequest's iterator covers exactly its residual range (N12)");
WBSIM_CHECKER(kRefcount, "refcount",
              "request and subrequest references return to zero, folios hold only cache and private refs, dropped folios are freed (N12)");

namespace {

class Retry final : public Checker {
 public:
  void subreq_issued(const model::NetfsIoSubrequest& r, bool retry) override {
    const model::loff_t from = r.start + static_cast<model::loff_t>(r.transferred);
    WBSIM_CHECK(kIterator, r.io_iter_start == from && r.io_iter_count == r.len - r.transferred,
                "{} {} with its iterator at {}+{} but the residual range is {}+{}", sreq_name(r),
                retry ? "reissued" : "issued", r.io_iter_start, r.io_iter_count, from, r.len - r.transferred);
  }

  void collector_end(const model::NetfsIoRequest& wreq) override {
    if (!wreq.crypto || wreq.crypto_buffer.empty()) return;
    const auto& [fpos, bytes] = *wreq.crypto_buffer.begin();
    WBSIM_CHECK(kRefcount, fpos + static_cast<model::loff_t>(bytes.size()) > wreq.cleaned_to,
                "{} keeps the ciphertext of {}+{} after its collector cleaned up to {}", wreq_name(wreq), fpos,
                bytes.size(), wreq.cleaned_to);
  }

  void quiescent(model::World& w) override {
    for (const auto& inode : w.files()) {
      WBSIM_CHECK(kRefcount, inode->i_dio_count == 0,
                  "file {}: i_dio_count is {} at quiescence: an inode_dio_begin() was never ended", inode->ino,
                  inode->i_dio_count);
      for (const auto& r : inode->requests) {
        for (const auto& sr : r->all_subreqs) {
          WBSIM_CHECK(kRefcount, sr->ref == 0, "{} holds {} references at quiescence{}", sreq_name(*sr), sr->ref,
                      sr->retry_count > 0 ? " (it was retried)" : "");
        }
        WBSIM_CHECK(kRefcount, r->ref == 0, "{} holds {} references at quiescence", wreq_name(*r), r->ref);
        // netfs_free_request -> rolling_buffer_clear frees every segment
        // of the request's buffer.
        for (const auto& fq : r->buffer.segments) {
          WBSIM_CHECK(kRefcount, fq->freed, "{} is freed, but folio_queue segment {} of its buffer never was",
                      wreq_name(*r), fq->debug_id);
        }
      }
      // The filesystem's references for its requests (its ->begin_writeback
      // took one on the open file) went back in ->free_request.
      if (inode->fs_private != nullptr) {
        const auto& rfs = *static_cast<const model::RfsInode*>(inode->fs_private);
        WBSIM_CHECK(kRefcount, rfs.writeback_file_refs == 0,
                    "file {}: {} references on the open file that ->begin_writeback took are not put at quiescence",
                    inode->ino, rfs.writeback_file_refs);
      }
      for (const auto& [index, f] : inode->mapping.folios) {
        const int expected = 1 + (f->test(model::PG_private) ? 1 : 0);
        WBSIM_CHECK(kRefcount, f->refcount == expected,
                    "file {} folio {} (index {}) holds {} references at quiescence, expected {} (page cache{})",
                    inode->ino, f->id, index, f->refcount, expected,
                    f->test(model::PG_private) ? " and private data" : "");
      }
    }
    // Pages are conserved: every page alloc_pages() or a mempool's reserve
    // handed out was given back (a FUSE handler's buffers, a temporary
    // writeback page, a subrequest's element).
    WBSIM_CHECK(kRefcount, w.mm().pages_in_use == 0,
                "{} pages handed out by alloc_pages() or a mempool are not given back at quiescence (a leak; "
                "negative: freed twice)",
                w.mm().pages_in_use);
    // kmemleak's view of the streaming-write records: each one kmalloc'd is
    // attached to a folio's private data or kfree'd by now.
    std::int64_t attached = 0;
    for (const auto& f : w.mm().arena) attached += f->priv.kind == model::FolioPrivate::Kind::streaming ? 1 : 0;
    const std::int64_t unfreed = model::netfs_folio_infos_unfreed() - w.netfs_folio_infos_at_start();
    WBSIM_CHECK(kRefcount, unfreed == attached,
                "{} netfs_folio records are neither attached to a folio nor freed at quiescence ({} allocated and "
                "not freed, {} attached): a streaming write's record was lost",
                unfreed - attached, unfreed, attached);
    // Folios out of every page cache: the arena keeps them, in creation
    // order, after their last reference went (freed) or while one is held.
    for (const auto& f : w.mm().arena) {
      if (f->freed || f->mapping != nullptr) continue;
      WBSIM_CHECK(kRefcount, false, "folio {} (index {}) was removed from the page cache but holds {} references at quiescence",
                  f->id, f->index, f->refcount);
    }
  }
};

}  // namespace

std::unique_ptr<Checker> make_retry_checker() { return std::make_unique<Retry>(); }

}  // namespace wbsim::checkers
