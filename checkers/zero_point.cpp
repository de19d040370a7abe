// zero-point: streaming writes and the zero_point tracker (N16, N17).
//
// A streaming-write folio (folio->private is a netfs_folio: dirty bytes of a
// folio that is not uptodate) is never uptodate and its dirty range lies in
// the folio; its data never goes to the cache stream; and when its
// writeback ends, zero_point has been raised to the end of the data it
// wrote (C6: otherwise a later read above zero_point skips the server and
// returns zeros for data the server holds).
#include "checkers/checker.h"

namespace wbsim::checkers {

WBSIM_CHECKER(kZeroPoint, "zero-point",
              "streaming-write folio shape and zero_point raised past written data (N16, N17)");

namespace {

class ZeroPoint final : public Checker {
 public:
  void folio_private_changed(const model::Folio& f, model::FolioPrivate::Kind old_kind) override {
    if (f.priv.kind != model::FolioPrivate::Kind::streaming) return;
    const model::NetfsFolio& fi = *f.priv.finfo;
    WBSIM_CHECK(kZeroPoint, !model::folio_test_uptodate(f) && fi.dirty_offset + fi.dirty_len <= f.size(),
                "streaming folio {} (index {}): uptodate={} with dirty range {}+{} in a {}-byte folio", f.id, f.index,
                model::folio_test_uptodate(f), fi.dirty_offset, fi.dirty_len, f.size());
  }

  void subreq_issued(const model::NetfsIoSubrequest& r, bool retry) override {
    if (r.source != model::NetfsIoSource::write_to_cache) return;
    const model::loff_t end = r.start + static_cast<model::loff_t>(r.len);
    model::rolling_buffer_for_each(r.rreq->buffer, [&](const model::Folio& f) {
      if (f.pos() >= end || f.pos() + static_cast<model::loff_t>(f.size()) <= r.start) return;
      WBSIM_CHECK(kZeroPoint, f.priv.kind != model::FolioPrivate::Kind::streaming,
                  "{} sends streaming-write folio {} (index {}) to the cache", sreq_name(r), f.id, f.index);
    });
  }

  void folio_written_back(const model::NetfsIoRequest* wreq, const model::Folio& f, model::loff_t dirty_end) override {
    if (dirty_end < 0) return;
    const auto& inode = *static_cast<const model::NetfsInode*>(f.mapping->host);
    WBSIM_CHECK(kZeroPoint, inode.zero_point >= dirty_end,
                "writeback of streaming folio {} (index {}) ended with data up to {} on the server, but zero_point is "
                "{}: a read there would return zeros",
                f.id, f.index, dirty_end, inode.zero_point);
  }
};

}  // namespace

std::unique_ptr<Checker> make_zero_point_checker() { return std::make_unique<ZeroPoint>(); }

}  // namespace wbsim::checkers
