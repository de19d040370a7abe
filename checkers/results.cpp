// returned-bytes, i-size and error-propagation: what the application is
// told.
//
// returned-bytes (N10)  a write never reports more bytes than were asked
//     for (C3, C18), and when every subrequest of an unbuffered write
//     failed the result is an error (or nothing), never a positive count.
// i-size (N18)  i_size never decreases except by truncate, and after an
//     extending write returns n bytes at pos, i_size >= pos + n (C17).
// error-propagation (N11)  if the upload stream of a request failed, the
//     mapping records an error before writeback ends on any of its folios,
//     so fsync and close see it.
#include <map>

#include "checkers/checker.h"
#include "model/errno.h"
#include "model/netfs/request.h"

namespace wbsim::checkers {

WBSIM_CHECKER(kReturnedBytes, "returned-bytes", "a write returns at most the bytes requested; all-failed is an error (N10)");
WBSIM_CHECKER(kISize, "i-size", "i_size never shrinks but by truncate and covers every completed write (N18)");
WBSIM_CHECKER(kErrorPropagation, "error-propagation",
              "a failed upload is recorded on the mapping before writeback of its folios ends (N11)");

namespace {

class Results final : public Checker {
 public:
  void wreq_created(const model::NetfsIoRequest& wreq) override {
    err_seq_at_create_[wreq_key(wreq)] = wreq.mapping->wb_err_seq;
    if ((wreq.origin == model::NetfsIoOrigin::unbuffered_write || wreq.origin == model::NetfsIoOrigin::dio_write)) unbuffered_[current_fiber()] = wreq_key(wreq);
  }

  void write_returned(const model::NetfsInode& inode, model::loff_t pos, std::span<const std::uint8_t> data,
                      std::int64_t ret, bool unbuffered) override {
    WBSIM_CHECK(kReturnedBytes, ret <= static_cast<std::int64_t>(data.size()),
                "{} write of {} bytes at {} returned {}, more than requested", unbuffered ? "unbuffered" : "buffered",
                data.size(), pos, ret);
    if (unbuffered && ret > 0) {
      const std::uint64_t key = unbuffered_[current_fiber()];
      WBSIM_CHECK(kReturnedBytes, progress_[key], "R={:08x}: no subrequest transferred a byte but the write returned {}",
                  static_cast<std::uint32_t>(key), ret);
    }
    if (ret > 0) {
      WBSIM_CHECK(kISize, inode.i_size >= pos + ret, "write of {} bytes at {} returned, but i_size is {} (N18)", ret,
                  pos, inode.i_size);
    }
  }

  void i_size_changed(const model::NetfsInode& inode, model::loff_t old_size, model::loff_t new_size,
                      bool truncate) override {
    WBSIM_CHECK(kISize, truncate || new_size >= old_size, "inode {}: i_size went from {} down to {} without a truncate",
                inode.ino, old_size, new_size);
  }

  void folio_written_back(const model::NetfsIoRequest* wreq, const model::Folio& f, model::loff_t dirty_end) override {
    if (wreq == nullptr || !wreq->io_streams[0].failed) return;
    WBSIM_CHECK(kErrorPropagation, wreq->mapping->wb_err_seq > err_seq_at_create_[wreq_key(*wreq)],
                "{}: the upload stream failed ({}) but writeback ends on folio {} (index {}) with no error recorded "
                "on the mapping",
                wreq_name(*wreq), wreq->io_streams[0].error, f.id, f.index);
  }

  void subreq_terminated(const model::NetfsIoSubrequest& r) override {
    if (r.transferred > 0) progress_[wreq_key(*r.rreq)] = true;
    // A permanent error on an upload of a buffered request fails the
    // subrequest (unless the filesystem asked for a retry with NEED_RETRY,
    // which it does for -EAGAIN, and, as afs, for a refused key while the
    // request holds a writeback key to rotate from), and so the stream: the
    // data is not sent again, and the mapping must say so.
    const model::NetfsIoOrigin o = r.rreq->origin;
    const bool retriable = r.error == model::kEAGAIN || (r.error == model::kEACCES && r.rreq->netfs_priv2 != 0);
    if (r.error < 0 && !retriable && r.source == model::NetfsIoSource::upload_to_server &&
        o != model::NetfsIoOrigin::unbuffered_write && o != model::NetfsIoOrigin::dio_write)
      hard_error_.emplace(wreq_key(*r.rreq), r.error);
  }

  void wreq_done(const model::NetfsIoRequest& wreq) override {
    if (const auto it = hard_error_.find(wreq_key(wreq)); it != hard_error_.end()) {
      evaluated(kErrorPropagation);
      WBSIM_CHECK(kErrorPropagation, wreq.io_streams[0].failed,
                  "{}: an upload subrequest failed with {}, but the request completed with its upload stream not "
                  "failed (the failure was retried or dropped, and nothing reports it)",
                  wreq_name(wreq), it->second);
      hard_error_.erase(it);
    }
    err_seq_at_create_.erase(wreq_key(wreq));
  }

 private:
  std::map<std::uint64_t, std::uint32_t> err_seq_at_create_;
  std::map<std::uint64_t, bool> progress_;  // some subrequest transferred bytes (by wreq_key)
  std::map<std::uint64_t, int> hard_error_;   // the first permanent upload error of a buffered request
  std::map<sim::FiberId, std::uint64_t> unbuffered_;  // the unbuffered write each fiber is in
};

}  // namespace

std::unique_ptr<Checker> make_results_checker() { return std::make_unique<Results>(); }

}  // namespace wbsim::checkers
