// write-group (N15): the write groups of a filesystem that has them (Ceph's
// snap contexts) keep their data apart. A store under group G' into a folio
// holding unwritten data of group G is preceded by a flush of that folio
// (netfs_perform_write's flush_content; netfs_page_mkwrite flushes rather
// than waits), and a writeback request of group G writes only folios whose
// data is G's (a folio of another group is redirtied for a later pass). A
// store that joins another group's dirty folio is written back under the
// wrong snapshot context, which the server applies to the wrong snapshot.
//
// The groups are the stores' own (the event says which group stored), not
// the folio's private data: the checker does not trust what the model
// attaches.
#include <map>

#include "checkers/checker.h"
#include "model/netfs/netfs.h"

namespace wbsim::checkers {

WBSIM_CHECKER_IN(kWriteGroup, "write-group", "*group*",
                 "N15: a store joins no folio dirty with another group's data; a request writes only its group's");

namespace {

class WriteGroup final : public Checker {
 public:
  void group_stored(const model::Folio& f, const model::NetfsGroup* group) override {
    evaluated(kWriteGroup);
    const auto it = dirty_.find(f.id);
    if (it != dirty_.end()) {
      WBSIM_CHECK(kWriteGroup, it->second == group,
                  "folio {} (index {}): a store under group {} joined the unwritten data of group {} (N15: the "
                  "folio must be flushed first)",
                  f.id, f.index, group_name(group), group_name(it->second));
    }
    dirty_[f.id] = group;
  }

  // The data a folio holds when its writeback starts is what the request
  // writes; stores after that are the next writeback's.
  void folio_start_writeback(const model::Folio& f) override {
    const auto it = dirty_.find(f.id);
    if (it == dirty_.end()) return;
    writing_[f.id] = it->second;
    dirty_.erase(it);
  }

  void folio_written_back(const model::NetfsIoRequest* wreq, const model::Folio& f, model::loff_t dirty_end) override {
    const auto it = writing_.find(f.id);
    if (it == writing_.end()) return;
    if (wreq != nullptr && wreq->inode->writeback_groups) {
      evaluated(kWriteGroup);
      WBSIM_CHECK(kWriteGroup, it->second == wreq->group,
                  "folio {} (index {}) holding group {}'s data was written back by R={:08x} of group {} (N15)", f.id,
                  f.index, group_name(it->second), wreq->debug_id, group_name(wreq->group));
    }
    writing_.erase(it);
  }

  // Private data dropped from a folio (truncation, invalidation) drops what
  // it held with it: no group owns the folio's contents any more.
  void folio_private_changed(const model::Folio& f, model::FolioPrivate::Kind old_kind) override {
    if (f.priv.kind == model::FolioPrivate::Kind::none || f.priv.kind == model::FolioPrivate::Kind::copy_to_cache)
      dirty_.erase(f.id);
  }

  // Writeback ended without netfs_folio_written_back (a request that could
  // not be made cleans its folios through start and end of writeback): what
  // it carried is gone either way.
  void folio_end_writeback(const model::Folio& f) override { writing_.erase(f.id); }

  // Migration moved the folio's contents, and so its unwritten stores, to
  // dst (never under writeback: migration waits for it or gives up).
  void folio_migrated(const model::Folio& src, const model::Folio& dst) override {
    const auto it = dirty_.find(src.id);
    if (it == dirty_.end()) return;
    dirty_[dst.id] = it->second;
    dirty_.erase(src.id);
  }

  void folio_freed(const model::Folio& f) override {
    dirty_.erase(f.id);
    writing_.erase(f.id);
  }

 private:
  static std::string group_name(const model::NetfsGroup* g) {
    return g == nullptr ? std::string("none") : fmt::format("#{}", g->id);
  }
  std::map<std::uint32_t, const model::NetfsGroup*> dirty_;    // by folio id: the group of its unwritten stores
  std::map<std::uint32_t, const model::NetfsGroup*> writing_;  // by folio id: the group its writeback carries
};

}  // namespace

std::unique_ptr<Checker> make_write_group_checker() { return std::make_unique<WriteGroup>(); }

}  // namespace wbsim::checkers
