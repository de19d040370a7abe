// coalescing: byte-contiguous data is not split into two subrequests of the
// same stream and request unless the first was full (its stream's maximum
// length or segment count at the time it was issued) or ended at EOF. The
// property C4's fix restored ("early issue of write op on partial write to
// folio tail"); an extension of N1 that catches efficiency regressions.
#include <map>

#include "checkers/checker.h"

namespace wbsim::checkers {

WBSIM_CHECKER(kCoalescing, "coalescing", "contiguous data is not split into non-full subrequests (C4, N1)");

namespace {

class Coalescing final : public Checker {
 public:
  void subreq_issued(const model::NetfsIoSubrequest& r, bool retry) override {
    if (retry) return;  // the retry path re-splits under new limits
    const model::NetfsIoStream& s = r.rreq->io_streams[r.stream_nr];
    Last& last = last_[key(r)];
    last = {r.start + static_cast<model::loff_t>(r.len),
            r.len >= s.sreq_max_len || r.nr_segs >= s.sreq_max_segs ||
                r.start + static_cast<model::loff_t>(r.len) >= r.rreq->i_size,
            r.debug_index};
  }

  void subreq_added(const model::NetfsIoRequest& wreq, const model::NetfsIoStream& s,
                    const model::NetfsIoSubrequest& r, bool retry) override {
    if (retry || (wreq.origin == model::NetfsIoOrigin::unbuffered_write || wreq.origin == model::NetfsIoOrigin::dio_write)) return;
    auto it = last_.find(key(r));
    if (it == last_.end()) return;
    const Last& last = it->second;
    WBSIM_CHECK(kCoalescing, r.start != last.end || last.full,
                "{} starts where R={:08x}[{:x}] ended ({}), but that one was issued before it was full", sreq_name(r),
                wreq.debug_id, last.index, last.end);
  }

  void wreq_done(const model::NetfsIoRequest& wreq) override {
    for (int s = 0; s < model::NR_IO_STREAMS; ++s) last_.erase(wreq_key(wreq) << 1 | static_cast<unsigned>(s));
  }

 private:
  struct Last {
    model::loff_t end = -1;
    bool full = false;
    std::uint32_t index = 0;
  };
  static std::uint64_t key(const model::NetfsIoSubrequest& r) { return wreq_key(*r.rreq) << 1 | r.stream_nr; }
  std::map<std::uint64_t, Last> last_;  // last issued subrequest per (request, stream)
};

}  // namespace

std::unique_ptr<Checker> make_coalescing_checker() { return std::make_unique<Coalescing>(); }

}  // namespace wbsim::checkers
