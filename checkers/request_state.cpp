// request-state: the bookkeeping of requests and their streams.
//
// N1  within a stream, subrequests are in ascending, non-overlapping order,
//     after retries too; and they are issued in that order: a subrequest's
//     first issue starts at or after the end of the stream's previous first
//     issue (retries, and what a retry pass inserts, reissue lower ranges).
// N2  a stream's collected_to and a request's collected_to, cleaned_to and
//     issued_to never go back; after each collector pass the request's
//     collected_to is the minimum over its active streams. A buffered
//     request's cleaned_to is the end of the last folio its collector
//     ended writeback on (netfs_writeback_unlock_folios sets it there), and
//     the next folio it ends lies at or above it: a cleaned_to past the
//     folios ended makes the collector skip one it never ends, short of it
//     makes it free buffers (crypto) or wait on folios still held.
//     An unbuffered read's stream is published active, its collected_to at
//     the first subrequest's start, by the time that subrequest joins the
//     list (direct_read.c stores the list before the active flag), and its
//     collected_to never runs ahead of the front subrequest the collector
//     has not consumed: the read collector trusts both.
// N7  after the collector jumped an empty stream to issued_to = X, nothing
//     is appended to that stream below X.
// N8  ALL_QUEUED is set only after the last append (the retry path's
//     inserted extras aside); IN_PROGRESS clears only with ALL_QUEUED set
//     and every active stream's list empty. An unbuffered write that
//     collects inline, one subrequest at a time (direct_write.c since
//     7.0-rc3), never sets ALL_QUEUED, and clears IN_PROGRESS before
//     netfs_clear_subrequests() drops a failed subrequest it did not
//     collect: neither half applies to it.
// N9  completion exactly once, per issue: a subrequest is handed to the
//     filesystem again only after its previous issue terminated.
// N20 at most one writeback or writethrough request per inode is issuing.
// A retry keeps hard boundaries where the filesystem put them: a reissued
//     or inserted subrequest carries NETFS_SREQ_BOUNDARY only if it ends
//     where a subrequest marked so ended before the retry
//     (netfs_retry_write_stream moves the mark from `to` to the last
//     subrequest of the span, which ends where `to` did).
// An unbuffered read sends no subrequest after one of its request failed:
//     the failure sets PAUSE and the issuer abandons the rest unsent
//     (netfs_read_subreq_terminated; the model's reads are synchronous, so
//     the issuer always sees the failure before its next issue).
#include <map>
#include <set>

#include "checkers/checker.h"

namespace wbsim::checkers {

WBSIM_CHECKER(kRequestState, "request-state",
              "stream order, monotonic cursors, issued_to safety, ALL_QUEUED publication, wb_lock (N1 N2 N7 N8 N20)");

namespace {

using model::NetfsIoRequest;
using model::NetfsIoStream;
using model::NetfsIoSubrequest;

class RequestState final : public Checker {
 public:
  void wreq_created(const NetfsIoRequest& wreq) override {
    Rec& r = recs_[wreq_key(wreq)];
    r.issued_to = r.collected_to = r.cleaned_to = wreq.start;
    if (wreq.origin == model::NetfsIoOrigin::writeback || wreq.origin == model::NetfsIoOrigin::writethrough) {
      auto [it, fresh] = issuing_.try_emplace(wreq.inode->ino, wreq.debug_id);
      WBSIM_CHECK(kRequestState, fresh, "{} starts issuing on inode {} while R={:08x} is still issuing (N20)",
                  wreq_name(wreq), wreq.inode->ino, it->second);
      it->second = wreq.debug_id;
    }
  }

  void subreq_added(const NetfsIoRequest& wreq, const NetfsIoStream& s, const NetfsIoSubrequest& r,
                    bool retry) override {
    if (retry) return;  // checked when it is issued, once its range is set
    WBSIM_CHECK(kRequestState, !wreq.test(model::NETFS_RREQ_ALL_QUEUED),
                "{} appended after ALL_QUEUED was set on {} (N8)", sreq_name(r), wreq_name(wreq));
    const Rec& rec = recs_[wreq_key(wreq)];
    WBSIM_CHECK(kRequestState, r.start >= rec.jumped_to[s.stream_nr],
                "{} appended below {}, where the collector already jumped the empty stream (N7)", sreq_name(r),
                rec.jumped_to[s.stream_nr]);
    // A retry pass may be re-splitting the stream meanwhile; retry_end
    // checks the whole list.
    if (!rec.retrying) check_order(s);
  }

  void subreq_issued(const NetfsIoSubrequest& r, bool retry) override {
    const std::uint64_t key = wreq_key(*r.rreq) << 20 | r.debug_index;
    WBSIM_CHECK(kRequestState, in_flight_.insert(key).second,
                "{} issued again while its previous issue is still in flight (N9)", sreq_name(r));
    Rec& rec = recs_[wreq_key(*r.rreq)];
    if (!retry && !rec.retrying && r.len > 0) {
      model::loff_t& issued_end = rec.first_issue_end[r.stream_nr];
      WBSIM_CHECK(kRequestState, r.start >= issued_end,
                  "{} issued after a subrequest of stream {} that ends at {}, above its start (N1: issue order)",
                  sreq_name(r), r.stream_nr, issued_end);
      issued_end = r.start + static_cast<model::loff_t>(r.len);
      rec.last_first_issue[r.stream_nr] = r.debug_index;
    } else if (retry && !rec.retrying && rec.last_first_issue[r.stream_nr] == r.debug_index) {
      // An unbuffered write's inline retry reissues its last subrequest cut
      // to a new wsize (->prepare_write after a reconnect): the next one
      // starts where the cut one now ends.
      rec.first_issue_end[r.stream_nr] = r.start + static_cast<model::loff_t>(r.len);
    }
    if (r.test(model::NETFS_SREQ_BOUNDARY)) {
      const model::loff_t end = r.start + static_cast<model::loff_t>(r.len);
      if (!retry) rec.boundary_ends.insert({r.stream_nr, end});  // the filesystem's mark
      WBSIM_CHECK(kRequestState, rec.boundary_ends.count({r.stream_nr, end}) != 0,
                  "{} reissued marked NETFS_SREQ_BOUNDARY at {}, where no subrequest of stream {} ended on a hard "
                  "boundary before the retry",
                  sreq_name(r), end, r.stream_nr);
    }
    // Mid-retry, re-split subrequests move one at a time; see retry_end.
    if (!rec.retrying) check_order(r.rreq->io_streams[r.stream_nr]);
  }

  void retry_begin(const NetfsIoRequest& wreq) override {
    Rec& rec = recs_[wreq_key(wreq)];
    rec.retrying = true;
    for (const NetfsIoStream& s : wreq.io_streams) {
      for (const NetfsIoSubrequest* r : s.subrequests) {
        if (r->test(model::NETFS_SREQ_BOUNDARY))
          rec.boundary_ends.insert({r->stream_nr, r->start + static_cast<model::loff_t>(r->len)});
      }
    }
  }
  void retry_end(const NetfsIoRequest& wreq) override {
    recs_[wreq_key(wreq)].retrying = false;
    for (const NetfsIoStream& s : wreq.io_streams) check_order(s);
  }

  void stream_jumped(const NetfsIoRequest& wreq, const NetfsIoStream& s) override {
    recs_[wreq_key(wreq)].jumped_to[s.stream_nr] = s.collected_to;
  }

  void all_queued(const NetfsIoRequest& wreq) override {
    auto it = issuing_.find(wreq.inode->ino);
    if (it != issuing_.end() && it->second == wreq.debug_id) issuing_.erase(it);
  }

  void collected(const NetfsIoRequest& wreq) override {
    Rec& rec = recs_[wreq_key(wreq)];
    model::loff_t min_active = INT64_MAX;
    for (const NetfsIoStream& s : wreq.io_streams) {
      if (!s.active) continue;
      // A stream's cursor starts where its first subrequest does.
      if (!rec.seen_active[s.stream_nr]) rec.stream_collected_to[s.stream_nr] = s.collected_to;
      rec.seen_active[s.stream_nr] = true;
      WBSIM_CHECK(kRequestState, s.collected_to >= rec.stream_collected_to[s.stream_nr],
                  "{} stream {}: collected_to went back from {} to {} (N2)", wreq_name(wreq), s.stream_nr,
                  rec.stream_collected_to[s.stream_nr], s.collected_to);
      rec.stream_collected_to[s.stream_nr] = s.collected_to;
      min_active = std::min(min_active, s.collected_to);
    }
    WBSIM_CHECK(kRequestState,
                wreq.collected_to >= rec.collected_to && wreq.cleaned_to >= rec.cleaned_to &&
                    wreq.issued_to >= rec.issued_to,
                "{}: a cursor went back: collected_to {} -> {}, cleaned_to {} -> {}, issued_to {} -> {} (N2)",
                wreq_name(wreq), rec.collected_to, wreq.collected_to, rec.cleaned_to, wreq.cleaned_to, rec.issued_to,
                wreq.issued_to);
    if (min_active != INT64_MAX && min_active > wreq.start) {
      WBSIM_CHECK(kRequestState, wreq.collected_to == min_active,
                  "{}: collected_to is {} after a pass but the slowest active stream is at {} (N2)", wreq_name(wreq),
                  wreq.collected_to, min_active);
    }
    if (buffered(wreq)) check_cleaned_to(wreq, rec);
    rec.collected_to = wreq.collected_to;
    rec.cleaned_to = wreq.cleaned_to;
    rec.issued_to = wreq.issued_to;
  }

  void read_subreq_queued(const NetfsIoRequest& rreq, const NetfsIoStream& s, const NetfsIoSubrequest& r) override {
    WBSIM_CHECK(kRequestState, s.active, "{}: {} joined stream {}, which is not published active (N2)",
                wreq_name(rreq), sreq_name(r), s.stream_nr);
    const bool first = s.subrequests.size() == 1;
    check_read_cursor(rreq, s, first, first ? "when its first subrequest is queued" : "when another is queued");
  }
  void read_subreq_issued(const NetfsIoRequest& rreq, const NetfsIoSubrequest& r, model::loff_t pos,
                          std::uint64_t len) override {
    for (const NetfsIoSubrequest* other : rreq.io_streams[0].subrequests) {
      if (other == &r) break;
      WBSIM_CHECK(kRequestState, !other->test(model::NETFS_SREQ_FAILED),
                  "{}: {} sent after {} failed: the issuer should have paused and abandoned the rest",
                  wreq_name(rreq), sreq_name(r), sreq_name(*other));
    }
  }
  void read_collected(const NetfsIoRequest& rreq) override {
    const NetfsIoStream& s = rreq.io_streams[0];
    // (The request's collected_to may lag the stream's: a pass that jumps
    // the stream to a front it cannot consume, unsent behind a failure,
    // leaves the request's where the last consumed one ended, as
    // read_collect.c does.)
    check_read_cursor(rreq, s, false, "after a collector pass");
  }

  void subreq_terminated(const NetfsIoSubrequest& r) override {
    in_flight_.erase(wreq_key(*r.rreq) << 20 | r.debug_index);
  }

  void collector_begin(const NetfsIoRequest& wreq) override {
    recs_[wreq_key(wreq)].collector = true;
    collecting_[current_fiber()] = wreq_key(wreq);
  }
  void collector_end(const NetfsIoRequest& wreq) override { collecting_.erase(current_fiber()); }

  void folio_written_back(const NetfsIoRequest* wreq, const model::Folio& f, model::loff_t dirty_end) override {
    if (wreq == nullptr || !buffered(*wreq)) return;
    // The issuer also ends writeback on folios it sends nowhere (past EOF,
    // no stream available): those never enter the buffer cleaned_to walks.
    const auto c = collecting_.find(current_fiber());
    if (c == collecting_.end() || c->second != wreq_key(*wreq)) return;
    Rec& rec = recs_[wreq_key(*wreq)];
    check_cleaned_to(*wreq, rec);
    // Before the first end, cleaned_to is the request's start, which a
    // writethrough takes from the write's position, inside its first folio.
    WBSIM_CHECK(kRequestState, rec.ended_to < 0 || f.pos() >= wreq->cleaned_to,
                "{}: the collector ends writeback on folio {} (index {}) at {}, below cleaned_to {} (N2)",
                wreq_name(*wreq), f.id, f.index, f.pos(), wreq->cleaned_to);
    rec.ended_to = f.pos() + static_cast<model::loff_t>(f.size());
  }

  void wreq_done(const NetfsIoRequest& wreq) override {
    bool empty = true;
    for (const NetfsIoStream& s : wreq.io_streams) empty = empty && (!s.active || s.subrequests.empty());
    Rec& rec = recs_[wreq_key(wreq)];
    if (buffered(wreq)) check_cleaned_to(wreq, rec);
    const bool inline_collection = !rec.collector;
    WBSIM_CHECK(kRequestState, inline_collection || (wreq.test(model::NETFS_RREQ_ALL_QUEUED) && empty),
                "{} completes with ALL_QUEUED={} and {} (N8)", wreq_name(wreq),
                wreq.test(model::NETFS_RREQ_ALL_QUEUED), empty ? "every stream empty" : "subrequests outstanding");
    recs_.erase(wreq_key(wreq));
  }

 private:
  struct Rec {
    model::loff_t issued_to = 0, collected_to = 0, cleaned_to = 0;
    model::loff_t stream_collected_to[model::NR_IO_STREAMS] = {};
    model::loff_t jumped_to[model::NR_IO_STREAMS] = {};
    model::loff_t first_issue_end[model::NR_IO_STREAMS] = {};  // N1's issue order
    std::uint32_t last_first_issue[model::NR_IO_STREAMS] = {};  // debug_index of the subrequest that set it
    bool seen_active[model::NR_IO_STREAMS] = {};
    bool retrying = false;
    bool collector = false;        // netfs_write_collection ran on it
    model::loff_t ended_to = -1;   // end of the last folio its collector ended (-1: none yet)
    std::set<std::pair<int, model::loff_t>> boundary_ends;  // (stream, end) of hard boundaries seen
  };

  // The collector of these ends folio writeback (BUFFERED in write_collect.c).
  static bool buffered(const NetfsIoRequest& wreq) {
    return wreq.origin == model::NetfsIoOrigin::writeback || wreq.origin == model::NetfsIoOrigin::writethrough;
  }
  void check_cleaned_to(const NetfsIoRequest& wreq, const Rec& rec) {
    if (rec.ended_to < 0) return;
    WBSIM_CHECK(kRequestState, wreq.cleaned_to == rec.ended_to,
                "{}: cleaned_to is {}, but the last folio the collector ended writeback on ends at {} (N2)",
                wreq_name(wreq), wreq.cleaned_to, rec.ended_to);
  }

  // A read stream's collected_to never runs past the front subrequest, the
  // one the collector has not consumed; when the first is queued it is
  // exactly there (`exact`).
  void check_read_cursor(const NetfsIoRequest& rreq, const NetfsIoStream& s, bool exact, const char* when) {
    const NetfsIoSubrequest* front = s.front();
    if (front == nullptr) return;
    WBSIM_CHECK(kRequestState, exact ? s.collected_to == front->start : s.collected_to <= front->start,
                "{}: stream {}'s collected_to is {} {}, but its front subrequest {} starts at {} (N2)",
                wreq_name(rreq), s.stream_nr, s.collected_to, when, sreq_name(*front), front->start);
  }

  void check_order(const NetfsIoStream& s) {
    const NetfsIoSubrequest* prev = nullptr;
    for (const NetfsIoSubrequest* r : s.subrequests) {
      if (prev != nullptr && r->len > 0) {
        WBSIM_CHECK(kRequestState, prev->start + static_cast<model::loff_t>(prev->len) <= r->start,
                    "stream {}: {} follows {} but does not start after it (N1)", s.stream_nr, sreq_name(*r),
                    sreq_name(*prev));
      }
      if (r->len > 0) prev = r;
    }
  }

  std::map<std::uint64_t, Rec> recs_;              // by wreq_key
  std::map<std::uint32_t, std::uint32_t> issuing_;  // inode -> issuing writeback/writethrough request
  std::set<std::uint64_t> in_flight_;               // issued, not yet terminated: wreq_key << 20 | index
  std::map<sim::FiberId, std::uint64_t> collecting_;  // the request each collector fiber collects
};

}  // namespace

std::unique_ptr<Checker> make_request_state_checker() { return std::make_unique<RequestState>(); }

}  // namespace wbsim::checkers
