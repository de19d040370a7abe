// mapped-access: a load or store through a shared mapping faults only the
// pages it touches. The CPU faults on an address the program accesses, so
// every fault of an access of [pos, pos+len) is at a byte of that range: a
// fault past it reads a folio nobody asked for (an RPC, a folio pinned in
// the cache), makes page_mkwrite dirty and write back a page the program
// never stored to, or raises SIGBUS for a page past EOF the program never
// touched.
//
// Not covered: whether every page of the range was faulted (a store that
// misses a page loses its bytes, which data-integrity reports).
#include <map>

#include "checkers/checker.h"
#include "model/netfs/netfs.h"

namespace wbsim::checkers {

WBSIM_CHECKER(kMappedAccess, "mapped-access", "a load or store through a mapping faults only the pages it touches");

namespace {

class MappedAccess final : public Checker {
 public:
  void mapped_access(const model::NetfsInode& inode, model::loff_t pos, std::uint64_t len, bool begin) override {
    if (begin) {
      access_[current_fiber()] = {inode.ino, pos, len};
    } else {
      access_.erase(current_fiber());
    }
  }

  void mapped_fault(const model::NetfsInode& inode, model::loff_t pos) override {
    const auto it = access_.find(current_fiber());
    WBSIM_CHECK(kMappedAccess, it != access_.end() && it->second.ino == inode.ino,
                "file {}: a page fault at {} outside any mapped access of the file", inode.ino, pos);
    if (it == access_.end()) return;
    const Access& a = it->second;
    WBSIM_CHECK(kMappedAccess, a.pos <= pos && pos < a.pos + static_cast<model::loff_t>(a.len),
                "file {}: a mapped access of {}+{} faults at {}, a byte it does not touch", inode.ino, a.pos, a.len,
                pos);
  }

 private:
  struct Access {
    std::uint32_t ino;
    model::loff_t pos;
    std::uint64_t len;
  };
  std::map<sim::FiberId, Access> access_;  // the mapped access each fiber is in
};

}  // namespace

std::unique_ptr<Checker> make_mapped_access_checker() { return std::make_unique<MappedAccess>(); }

}  // namespace wbsim::checkers
