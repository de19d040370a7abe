//! The shadow model of every file: what the application has written, byte
//! by byte (last store wins; truncate and extension fill with zeros), with
//! for each byte the sequence number of its last store and whether its
//! value is still known. An error makes unknown only the bytes it covers,
//! until they are stored again: the folios whose writeback a request ends
//! after its upload failed (the failed subrequest's and every one the
//! request cancels after it, including folios given to it later), what an
//! unbuffered write did not report written, and every dirty folio
//! ->writepages cleans without I/O when it fails before making a request.
//! An error the retry path absorbs makes nothing unknown. data-integrity
//! compares the server and reads against it; ordered-extension asks it
//! whether the client ever wrote a byte; app-contract asks it which bytes
//! are known.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "checkers/checker.h"

namespace wbsim::checkers {

class Shadow : public Checker {
 public:
  struct File {
    std::vector<std::uint8_t> data;
    std::vector<std::uint64_t> gen;   // sequence number of the last store
    std::vector<std::uint8_t> known;  // 0 once an error may have lost it
    std::uint64_t errors = 0;         // errors that may have lost data
    std::uint64_t size() const { return data.size(); }
    // Bytes past EOF a failed unbuffered write may have stored on the
    // server: unknown, not zero, should the file grow over them.
    std::vector<std::pair<std::uint64_t, std::uint64_t>> limbo;
    // Folios a request whose upload had already failed cleaned without
    // sending them after the error was recorded (F5): [from, to) and the
    // sequence number then. An fsync that reports an error covers them.
    struct Lost {
      std::uint64_t from, to, seq;
    };
    std::vector<Lost> unreported;
  };

  File& file(std::uint32_t ino) {
    if (files_.size() <= ino) files_.resize(ino + 1);
    return files_[ino];
  }
  std::uint64_t seq() const { return seq_; }
  // Whether the application has data (not a hole) at `pos`, as far as known.
  // Bytes an error may have lost are not counted: the owning write failed.
  // Nor are bytes a failed request cleaned without a second error (F5):
  // lost unreported, which data-integrity diagnoses.
  bool client_has_data(std::uint32_t ino, std::uint64_t pos) {
    const File& f = file(ino);
    if (pos >= f.size() || !f.known[pos] || f.data[pos] == 0) return false;
    for (const File::Lost& l : f.unreported) {
      if (l.from <= pos && pos < l.to && f.gen[pos] <= l.seq) return false;
    }
    return true;
  }

  void data_stored(const model::NetfsInode& inode, model::loff_t pos, std::span<const std::uint8_t> data) override;
  void file_preloaded(const model::NetfsInode& inode, std::span<const std::uint8_t> data) override {
    data_stored(inode, 0, data);
  }
  void write_returned(const model::NetfsInode& inode, model::loff_t pos, std::span<const std::uint8_t> data,
                      std::int64_t ret, bool unbuffered) override;
  void i_size_changed(const model::NetfsInode& inode, model::loff_t old_size, model::loff_t new_size,
                      bool truncate) override;
  void mapping_error(const model::AddressSpace& m, int error) override;
  void fsync_returned(const model::NetfsInode& inode, int ret, model::loff_t start, model::loff_t end) override;
  void sync_file_range_returned(const model::NetfsInode& inode, int ret) override;
  void range_op_done(const model::NetfsInode& inode, model::RangeOp op, model::loff_t offset, std::uint64_t len,
                     model::loff_t dest, bool keep_size) override;
  void writepages_returned(const model::AddressSpace& m, const model::WritebackControl& wbc, int ret) override;
  void folio_written_back(const model::NetfsIoRequest* wreq, const model::Folio& f, model::loff_t dirty_end) override;
  void collector_begin(const model::NetfsIoRequest& wreq) override { collecting_[current_fiber()] = &wreq; }
  void collector_end(const model::NetfsIoRequest& wreq) override { collecting_.erase(current_fiber()); }

 private:
  void resize(File& f, std::uint64_t size);
  void forget(File& f, std::uint64_t from, std::uint64_t to);
  // fsync, msync or sync_file_range returned `ret`: an error reports the
  // file's lost bytes not yet reported (errseq, once per error).
  void error_reported(const model::NetfsInode& inode, int ret);
  std::vector<File> files_;  // by inode number
  std::map<sim::FiberId, const model::NetfsIoRequest*> collecting_;  // the request each collector collects
  std::uint64_t seq_ = 0;
};

}  // namespace wbsim::checkers
