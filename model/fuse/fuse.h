//! FUSE writeback (fs/fuse/file.c, fs/fuse/dev.c, reduced): a connection
//! with a request queue, a user-space server as fibers, and buffered
//! writeback in the two designs of the "remove temp page copies" series.
//!
//! - temp pages (legacy): writeback copies each folio into a temporary page
//!   (an allocation, GFP_NOFS), ends writeback on the original at once and
//!   tracks the copy in an in-flight set until the server replies; later
//!   writes and fsync wait on that set (fuse_wait_on_page_writeback).
//! - no temp pages (0c58a97f919c): the folio stays under writeback until
//!   the reply, and the mapping is flagged AS_WRITEBACK_MAY_DEADLOCK_ON_
//!   RECLAIM so reclaim never waits on it.
//!
//! The server's handler allocates memory for each request, as a real
//! server does (buffers, page cache of its backing file); that allocation
//! may enter direct reclaim in the server's own thread.
//!
//! Not modelled: FUSE_INIT and the rest of the protocol, splice, readpages,
//! background request limits, request interruption.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <vector>

#include "model/world.h"
#include "sim/completion.h"
#include "sim/kthread.h"
#include "sim/rwsem.h"
#include "sim/waitqueue.h"

namespace wbsim::model {

struct FuseOptions {
  unsigned server_threads = 1;
  bool temp_pages = false;            // the legacy writeback design
  bool flag_mapping = true;           // AS_WRITEBACK_MAY_DEADLOCK_ON_RECLAIM on no-temp-page mappings
  unsigned handler_alloc_pages = 1;   // pages the server allocates per request
  sim::Time handler_time = 50 * sim::kUs;
  bool flag_no_data_integrity = true;  // AS_NO_DATA_INTEGRITY on every FUSE mapping (f9a49aa302a0)
  bool sb_no_data_integrity = true;    // SB_I_NO_DATA_INTEGRITY on the superblock (the 2026 fix)
};

class FuseConn;

struct FuseInode {
  AddressSpace mapping;
  std::uint32_t nodeid = 0;
  loff_t i_size = 0;
  FuseConn* fc = nullptr;
  std::unique_ptr<sim::RwSem> i_rwsem;
  std::set<pgoff_t> writeback_in_flight;  // temp-page design: copies awaiting the reply
  std::unique_ptr<sim::WaitQueue> in_flight_wq;
  std::vector<std::uint8_t> server_data;  // the server's backing file
};

struct FuseStats {
  std::uint64_t requests = 0;
  std::uint64_t temp_copies = 0;
  sim::Time writeback_time = 0;  // summed over folios: start to end of writeback
};

class FuseConn {
 public:
  FuseConn(World& w, const FuseOptions& options);
  ~FuseConn();

  FuseInode& create_file();
  // A buffered write (fuse_perform_write -> the page cache).
  void write(FuseInode& inode, loff_t pos, const std::vector<std::uint8_t>& data);
  // fsync: write back and wait, temp copies included.
  int fsync(FuseInode& inode);
  // Stops the server threads (they are idle daemons otherwise).
  void stop();
  // A buggy server: WRITE requests are taken and never answered, until
  // heal() (the World's liveness phase) answers them.
  void drop_write_replies() { dropping_ = true; }
  // The daemon is frozen (as systemd does before suspend): no request is
  // taken until heal() thaws it.
  void freeze() { frozen_ = true; }
  void heal();
  // ->write_inode: a synchronous SETATTR (fuse_write_inode).
  void write_inode(FuseInode& inode);

  const FuseOptions& options() const { return options_; }
  const FuseStats& stats() const { return stats_; }
  World& world() { return w_; }

 private:
  struct Request {
    FuseInode* inode;
    loff_t pos;
    std::vector<std::uint8_t> data;
    Folio* folio;        // no-temp design: the folio under writeback
    pgoff_t temp_index;  // temp design: the in-flight copy's index
    sim::Time started;
    sim::Completion* setattr_done = nullptr;  // a SETATTR, not a WRITE
  };
  friend int fuse_writepages(AddressSpace& mapping, WritebackControl& wbc);
  void queue(std::unique_ptr<Request> req);
  void serve(sim::Kthread& self);
  void reply(Request& req);

  World& w_;
  FuseOptions options_;
  FuseStats stats_;
  std::deque<std::unique_ptr<Request>> pending_;
  sim::WaitQueue queue_wq_{"fuse.queue"};
  std::vector<std::unique_ptr<sim::Kthread>> threads_;
  std::vector<std::unique_ptr<FuseInode>> files_;
  bool dropping_ = false;
  bool frozen_ = false;
  std::vector<std::unique_ptr<Request>> dropped_;
};

int fuse_writepages(AddressSpace& mapping, WritebackControl& wbc);

}  // namespace wbsim::model
