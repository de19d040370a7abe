//! The local cache (cachefiles-like): a store per file at a fixed
//! granularity, writes that may fail with -ENOBUFS, and withdrawal of the
//! whole cache in the middle of a request (after which every cache write
//! fails and the inode's cache is disabled).
//!
//! Not modelled: the backing filesystem, culling, DIO alignment beyond the
//! granularity check, the cache read path. A block device can stand under
//! the cache (set_backing: each write goes to it, waited for, before the
//! cache holds it; a dm-ploop device in ploop/netfs_cache_on_ploop).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "model/mm/folio.h"

namespace wbsim::model {

class LocalCache {
 public:
  explicit LocalCache(std::uint64_t granularity = kPageSize) : granularity_(granularity) {}

  void write_async(std::uint32_t file_id, loff_t pos, std::vector<std::uint8_t> bytes,
                   std::function<void(std::int64_t)> reply);
  void invalidate(std::uint32_t file_id);
  void withdraw();  // scripted: the cache goes away
  bool withdrawn() const { return withdrawn_; }
  // Writes that failed (-ENOBUFS): the cache may lack what they carried.
  std::uint32_t failed_writes() const { return failed_writes_; }
  void heal() { healed_ = true; }
  // The device the cache's files live on: called from the write's fiber
  // with the file, position and bytes; returns 0 or -errno (a failed write
  // is -ENOBUFS to netfs, as cachefiles reports a backing failure).
  void set_backing(std::function<int(std::uint32_t, loff_t, const std::vector<std::uint8_t>&)> backing) {
    backing_ = std::move(backing);
  }
  std::uint64_t granularity() const { return granularity_; }
  // What the cache holds for a file (for checkers): bytes and a validity map.
  const std::vector<std::uint8_t>& data(std::uint32_t file_id);

 private:
  struct File {
    std::vector<std::uint8_t> data;
    bool invalidated = false;
  };
  File& file(std::uint32_t id);
  std::uint64_t granularity_;
  std::vector<File> files_;
  bool withdrawn_ = false;
  std::uint32_t failed_writes_ = 0;
  bool healed_ = false;
  std::uint32_t seq_ = 0;
  std::function<int(std::uint32_t, loff_t, const std::vector<std::uint8_t>&)> backing_;
};

}  // namespace wbsim::model
