// writeback-truth (F5): writeback cleared is not data persisted. A FUSE
// fsync or fdatasync that returns 0 promises that every byte the
// application stored before it began is in the server's file.
//
// The legacy design ends a folio's writeback as soon as it is copied to a
// temporary page, so a waiter on PG_writeback alone (filemap_fdatawait)
// would return with the data still on its way: fsync must also wait for the
// in-flight copies (fuse_sync_writes). Without temporary pages the folio
// stays under writeback until the server answers. Either way, this checker
// compares the server's bytes with a shadow of the application's stores
// when fsync returns 0. A writeback error on the mapping makes the file's
// bytes unknown until stored again (the error was reported instead).
#include <map>

#include "checkers/checker.h"
#include "model/fuse/fuse.h"

namespace wbsim::checkers {

WBSIM_CHECKER_IN(kWritebackTruth, "writeback-truth", "fuse/*",
              "F5: a FUSE fsync that returned 0 left every byte stored before it on the server");

namespace {

class WritebackTruth final : public Checker {
 public:
  void fuse_data_stored(const model::FuseInode& inode, model::loff_t pos, std::span<const std::uint8_t> data) override {
    File& f = files_[inode.ino];
    ++seq_;
    const auto p = static_cast<std::size_t>(pos);
    if (f.data.size() < p + data.size()) {
      f.data.resize(p + data.size(), 0);
      f.gen.resize(p + data.size(), 0);
      f.known.resize(p + data.size(), 1);
    }
    for (std::size_t k = 0; k < data.size(); ++k) {
      f.data[p + k] = data[k];
      f.gen[p + k] = seq_;
      f.known[p + k] = 1;
    }
  }

  void mapping_error(const model::AddressSpace& m, int error) override {
    if (m.host_kind != model::AddressSpace::HostKind::fuse) return;
    File& f = files_[static_cast<const model::FuseInode*>(m.host)->ino];
    std::fill(f.known.begin(), f.known.end(), std::uint8_t{0});
  }

  void fuse_fsync_begin(const model::FuseInode& inode) override { began_[current_fiber()] = seq_; }

  void fuse_fsync_returned(const model::FuseInode& inode, int ret) override {
    const std::uint64_t began = began_[current_fiber()];
    if (ret != 0) return;
    evaluated(kWritebackTruth);
    const File& f = files_[inode.ino];
    const auto& server = inode.server_data;
    for (std::size_t b = 0; b < f.data.size(); ++b) {
      if (!f.known[b] || f.gen[b] > began) continue;
      if (b < server.size() && server[b] == f.data[b]) continue;
      std::size_t e = b;
      while (e < f.data.size() && f.known[e] && f.gen[e] <= began && !(e < server.size() && server[e] == f.data[e])) ++e;
      WBSIM_CHECK(kWritebackTruth, false,
                  "fsync of FUSE inode {} returned 0, but server byte {} is {} where the application stored {:#x} "
                  "before the fsync (bytes {}..{} differ; {} copies still in flight)",
                  inode.nodeid, b, b < server.size() ? fmt::format("{:#x}", server[b]) : std::string("beyond EOF"),
                  f.data[b], b, e, inode.writeback_in_flight.size());
      return;
    }
  }

 private:
  struct File {
    std::vector<std::uint8_t> data;
    std::vector<std::uint64_t> gen;
    std::vector<std::uint8_t> known;
  };
  std::map<std::uint32_t, File> files_;  // by FuseInode::ino
  std::map<sim::FiberId, std::uint64_t> began_;
  std::uint64_t seq_ = 0;
};

}  // namespace

std::unique_ptr<Checker> make_writeback_truth_checker() { return std::make_unique<WritebackTruth>(); }

}  // namespace wbsim::checkers
