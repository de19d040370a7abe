// folio-state: the folio flag protocol the writeback engine must keep.
//
// N4  every end of writeback matches exactly one start (no second end:
//     "folio N is not under writeback"; no second start).
// N3  the collector ends writeback on a folio only once every active stream
//     of its request has collected past it (to the folio's dirty end, or
//     i_size).
// N5  no folio lock held across I/O: a subrequest is never issued while its
//     issuer holds the lock of a folio it covers; the collector never locks.
// N6  while a folio is under writeback only the engine (issuer, collector)
//     changes or drops its non-null folio->private.
// W1-W4 writeback_iter(): folios come back locked by the caller, clean, not
//     under writeback, of the mapping, in ascending order; each is handed
//     back unlocked and either under (or through) writeback or redirtied;
//     ->writepages runs the walk to its end; WB_SYNC_ALL leaves no folio it
//     tagged TOWRITE unvisited.
// And no folio leaves the page cache, or is freed, under writeback.
// A page-cache drop (invalidate_inode_pages2_range over the file) removes
//     every folio that was clean when it began and stayed so: only one
//     dirtied, under writeback or given private data meanwhile may stay.
#include <algorithm>
#include <map>
#include <vector>

#include "checkers/checker.h"
#include "model/mm/page_writeback.h"
#include "model/world.h"

namespace wbsim::checkers {

WBSIM_CHECKER(kFolioState, "folio-state",
              "legal folio transitions: one end of writeback per start, after every stream passed it (N3-N6, W1-W4)");

namespace {

using model::Folio;

const char* kind_name(model::FolioPrivate::Kind k) {
  switch (k) {
    case model::FolioPrivate::Kind::none: return "none";
    case model::FolioPrivate::Kind::group: return "group";
    case model::FolioPrivate::Kind::copy_to_cache: return "copy-to-cache";
    case model::FolioPrivate::Kind::streaming: return "streaming";
  }
  return "?";
}

class FolioState final : public Checker {
 public:
  void world_created(model::World& w) override { world_ = &w; }
  void world_destroyed(model::World& w) override { world_ = nullptr; }

  void folio_start_writeback(const Folio& f) override {
    touched(f);
    WBSIM_CHECK(kFolioState, model::folio_test_locked(f) && f.lock_owner == current_fiber(),
                "folio {} (index {}): writeback started by fiber {} which does not hold its lock", f.id, f.index,
                current_fiber());
    WBSIM_CHECK(kFolioState, !model::folio_test_writeback(f),
                "folio {} (index {}): writeback started again while still under writeback (started at step {})",
                f.id, f.index, rec(f).start_step);
    rec(f).start_step = sim::Scheduler::current().step();
    ++rec(f).starts;
  }

  void folio_end_writeback(const Folio& f) override {
    WBSIM_CHECK(kFolioState, model::folio_test_writeback(f),
                "folio {} (index {}) is not under writeback: a second end of writeback (last start at step {})",
                f.id, f.index, rec(f).start_step);
  }

  void folio_written_back(const model::NetfsIoRequest* wreq, const Folio& f, model::loff_t dirty_end) override {
    if (wreq == nullptr || !in_collector()) return;  // the issuer ending one it sent nowhere
    const model::loff_t fend =
        std::min<model::loff_t>(dirty_end >= 0 ? dirty_end : f.pos() + static_cast<model::loff_t>(f.size()),
                                wreq->i_size);
    for (const model::NetfsIoStream& s : wreq->io_streams) {
      if (!s.active) continue;
      WBSIM_CHECK(kFolioState, s.collected_to >= fend,
                  "{}: writeback ended on folio {} (index {}, bytes {}..{}) but stream {} has only collected to {}",
                  wreq_name(*wreq), f.id, f.index, f.pos(), fend, s.stream_nr, s.collected_to);
    }
  }

  void folio_locked(const Folio& f) override {
    WBSIM_CHECK(kFolioState, !in_collector(), "the collector locked folio {} (index {})", f.id, f.index);
  }

  void subreq_issued(const model::NetfsIoSubrequest& r, bool retry) override {
    const model::loff_t end = r.start + static_cast<model::loff_t>(r.len);
    model::rolling_buffer_for_each(r.rreq->buffer, [&](const Folio& f) {
      if (f.pos() >= end || f.pos() + static_cast<model::loff_t>(f.size()) <= r.start) return;
      WBSIM_CHECK(kFolioState, !(model::folio_test_locked(f) && f.lock_owner == current_fiber()),
                  "{} issued while its issuer holds the lock of folio {} (index {}) it covers", sreq_name(r), f.id,
                  f.index);
    });
  }

  void folio_private_changed(const Folio& f, model::FolioPrivate::Kind old_kind) override {
    touched(f);
    // The copy-to-cache mark is set only where the cache is in use
    // (netfs_read_folio marks a folio read from the server only when
    // fscache's resources are valid): a mark on an inode without a cache
    // dirties a folio for nothing and sends it to no stream.
    if (f.priv.kind == model::FolioPrivate::Kind::copy_to_cache && f.mapping != nullptr &&
        f.mapping->host_kind == model::AddressSpace::HostKind::netfs) {
      const auto& ictx = *static_cast<const model::NetfsInode*>(f.mapping->host);
      WBSIM_CHECK(kFolioState, ictx.cache_enabled, "folio {} (index {}) marked copy-to-cache on file {}, which uses no cache",
                  f.id, f.index, ictx.ino);
    }
    if (!model::folio_test_writeback(f) || old_kind == model::FolioPrivate::Kind::none) return;
    WBSIM_CHECK(kFolioState, in_collector() || issuing_.count(current_fiber()) != 0,
                "folio {} (index {}): folio->private changed from {} to {} by fiber {} while under writeback",
                f.id, f.index, kind_name(old_kind), kind_name(f.priv.kind), current_fiber());
  }

  void folio_removed(const Folio& f) override {
    WBSIM_CHECK(kFolioState, !model::folio_test_writeback(f) && !model::folio_test_dirty(f),
                "folio {} (index {}) removed from the page cache while {}", f.id, f.index,
                model::folio_test_writeback(f) ? "under writeback" : "dirty");
  }

  void folio_freed(const Folio& f) override {
    WBSIM_CHECK(kFolioState, !model::folio_test_writeback(f) && !model::folio_test_locked(f),
                "folio {} (index {}) freed while {}", f.id, f.index,
                model::folio_test_writeback(f) ? "under writeback" : "locked");
  }

  // --- engine context ------------------------------------------------------
  void collector_begin(const model::NetfsIoRequest& wreq) override { ++collecting_[current_fiber()]; }
  void collector_end(const model::NetfsIoRequest& wreq) override {
    if (--collecting_[current_fiber()] == 0) collecting_.erase(current_fiber());
  }
  void wreq_created(const model::NetfsIoRequest& wreq) override { issuing_[current_fiber()] = wreq_key(wreq); }
  void all_queued(const model::NetfsIoRequest& wreq) override {
    auto it = issuing_.find(current_fiber());
    if (it != issuing_.end() && it->second == wreq_key(wreq)) issuing_.erase(it);
  }

  // --- writeback_iter() ----------------------------------------------------
  void writeback_iter_start(const model::AddressSpace& m, const model::WritebackControl& wbc) override {
    Walk& walk = walks_[current_fiber()];
    walk = {};
    if (wbc.sync_mode != model::SyncMode::all) return;
    // Only the walk's own range: a concurrent ranged walk tags others.
    const model::pgoff_t first = static_cast<model::pgoff_t>(wbc.range_start) >> model::kPageShift;
    const model::pgoff_t last = static_cast<model::pgoff_t>(wbc.range_end) >> model::kPageShift;
    for (const auto& [index, f] : m.folios) {
      if (index + f->nr_pages() <= first || index > last) continue;
      if (sim::test_bit(model::PAGECACHE_TAG_TOWRITE, f->flags)) walk.tagged.push_back(f->id);
    }
  }

  void writeback_iter_returned(const model::AddressSpace& m, const model::WritebackControl& wbc,
                               const Folio* f) override {
    Walk& walk = walks_[current_fiber()];
    if (f == nullptr) {
      check_sync_all_visited(m, wbc, walk);
      walks_.erase(current_fiber());
      return;
    }
    WBSIM_CHECK(kFolioState,
                model::folio_test_locked(*f) && f->lock_owner == current_fiber() && !model::folio_test_dirty(*f) &&
                    !model::folio_test_writeback(*f) && f->mapping == &m,
                "writeback_iter returned folio {} (index {}) locked={} by-caller={} dirty={} writeback={} "
                "in-mapping={} (W1)",
                f->id, f->index, model::folio_test_locked(*f), f->lock_owner == current_fiber(),
                model::folio_test_dirty(*f), model::folio_test_writeback(*f), f->mapping == &m);
    WBSIM_CHECK(kFolioState, wbc.last_returned == nullptr || f->index > wbc.last_index,
                "writeback_iter returned index {} after index {} (W4: ascending, no wraparound)", f->index,
                wbc.last_index);
    walk.visited.push_back(f->id);
    walk.starts_at_return = rec(*f).starts;
  }

  void writeback_iter_given_back(const model::AddressSpace& m, const model::WritebackControl& wbc,
                                 const Folio& f) override {
    const Walk& walk = walks_[current_fiber()];
    WBSIM_CHECK(kFolioState, &f == wbc.last_returned,
                "folio {} (index {}) handed back to writeback_iter, which returned {} (W2)", f.id, f.index,
                wbc.last_returned != nullptr ? fmt::format("index {}", wbc.last_returned->index) : "nothing");
    WBSIM_CHECK(kFolioState, !(model::folio_test_locked(f) && f.lock_owner == current_fiber()),
                "folio {} (index {}) handed back to writeback_iter still locked by its caller (W2)", f.id, f.index);
    WBSIM_CHECK(kFolioState, model::folio_test_dirty(f) || rec(f).starts > walk.starts_at_return,
                "folio {} (index {}) handed back to writeback_iter neither written back nor redirtied (W2)", f.id,
                f.index);
  }

  void writepages_returned(const model::AddressSpace& m, const model::WritebackControl& wbc, int ret) override {
    WBSIM_CHECK(kFolioState, wbc.last_returned == nullptr,
                "->writepages returned with folio {} from writeback_iter not handed back (W2)",
                wbc.last_returned != nullptr ? wbc.last_returned->index : 0);
  }

  void page_cache_drop_begin(const model::NetfsInode& inode) override {
    Drop& d = drops_[current_fiber()];
    d = Drop{inode.ino, {}};
    for (const auto& [index, f] : inode.mapping.folios) {
      if (!model::folio_test_dirty(*f) && !model::folio_test_writeback(*f)) d.clean.push_back(f->id);
    }
  }
  void folio_dirtied(const Folio& f) override { touched(f); }

  // Migration replaced src by dst: the same cached page to every check
  // here (its writeback starts, a walk's tags and visits, a drop's clean
  // list).
  void folio_migrated(const Folio& src, const Folio& dst) override {
    const Rec moved = rec(src);  // rec(dst) may grow recs_ under a reference to src's
    rec(dst) = moved;
    auto rename = [&](std::vector<std::uint32_t>& ids) { std::replace(ids.begin(), ids.end(), src.id, dst.id); };
    for (auto& [fiber, walk] : walks_) {
      rename(walk.tagged);
      rename(walk.visited);
    }
    for (auto& [fiber, d] : drops_) rename(d.clean);
  }
  void page_cache_drop_returned(const model::NetfsInode& inode) override {
    const auto it = drops_.find(current_fiber());
    if (it == drops_.end()) return;
    for (const auto& [index, f] : inode.mapping.folios) {
      const bool stayed_clean = std::find(it->second.clean.begin(), it->second.clean.end(), f->id) != it->second.clean.end();
      WBSIM_CHECK(kFolioState, !stayed_clean,
                  "file {}: folio {} (index {}) was clean through the page-cache drop and is still cached after it "
                  "(invalidate_inode_pages2_range removes every clean folio)",
                  inode.ino, f->id, index);
    }
    drops_.erase(it);
  }

 private:
  struct Drop {
    std::uint32_t ino = 0;
    std::vector<std::uint32_t> clean;  // folio ids clean at the start and not touched since
  };
  // A folio dirtied, put under writeback or given private data during a
  // drop may be kept by it.
  void touched(const Folio& f) {
    for (auto& [fiber, d] : drops_) d.clean.erase(std::remove(d.clean.begin(), d.clean.end(), f.id), d.clean.end());
  }

  struct Rec {
    std::uint64_t start_step = 0;
    std::uint64_t starts = 0;
  };
  struct Walk {
    std::vector<std::uint32_t> tagged;   // folio ids tagged TOWRITE at the start (WB_SYNC_ALL)
    std::vector<std::uint32_t> visited;  // folio ids returned
    std::uint64_t starts_at_return = 0;
  };

  Rec& rec(const Folio& f) {
    if (recs_.size() <= f.id) recs_.resize(f.id + 1);
    return recs_[f.id];
  }
  bool in_collector() const { return collecting_.count(current_fiber()) != 0; }

  void check_sync_all_visited(const model::AddressSpace& m, const model::WritebackControl& wbc, const Walk& walk) {
    if (wbc.sync_mode != model::SyncMode::all || world_ == nullptr) return;
    for (std::uint32_t id : walk.tagged) {
      const Folio& f = *world_->mm().arena[id - 1];
      if (f.mapping != &m || !sim::test_bit(model::PAGECACHE_TAG_TOWRITE, f.flags)) continue;
      // A truncate may cancel the dirty bit of a folio it keeps (a partial
      // folio whose changes it cut off); the kernel leaves its tags, and the
      // walk finds it clean and passes over it, as it should.
      if (!sim::test_bit(model::PG_dirty, f.flags) && !sim::test_bit(model::PG_writeback, f.flags)) continue;
      const bool visited = std::find(walk.visited.begin(), walk.visited.end(), id) != walk.visited.end();
      WBSIM_CHECK(kFolioState, visited,
                  "WB_SYNC_ALL writeback_iter ended without visiting folio {} (index {}) it tagged TOWRITE (W3)",
                  f.id, f.index);
    }
  }

  model::World* world_ = nullptr;
  std::vector<Rec> recs_;                         // by folio id
  std::map<sim::FiberId, int> collecting_;        // fibers inside the collector
  std::map<sim::FiberId, std::uint64_t> issuing_; // fibers issuing a request (until ALL_QUEUED)
  std::map<sim::FiberId, Walk> walks_;            // writeback_iter walks in progress
  std::map<sim::FiberId, Drop> drops_;            // page-cache drops in progress
};

}  // namespace

std::unique_ptr<Checker> make_folio_state_checker() { return std::make_unique<FolioState>(); }

}  // namespace wbsim::checkers
