//! FUSE writeback (fs/fuse/file.c, fs/fuse/dev.c, reduced): a connection
//! with a request queue, a user-space server as fibers, and buffered
//! writeback in the two designs of the "remove temp page copies" series.
//!
//! - temp pages (legacy): writeback copies each folio into a temporary page
//!   (an allocation, GFP_NOFS), ends writeback on the original at once and
//!   tracks the copy in an in-flight set until the server replies; later
//!   writes and fsync wait on that set (fuse_wait_on_page_writeback,
//!   fuse_sync_writes).
//! - no temp pages (0c58a97f919c): the folio stays under writeback until
//!   the reply, and the mapping is flagged AS_WRITEBACK_MAY_DEADLOCK_ON_
//!   RECLAIM so reclaim never waits on it.
//!
//! Requests move as in fs/fuse/dev.c: queued on the pending list, read by a
//! server thread (then "processing"), answered. The server's handler
//! allocates memory for each request, as a real server does (buffers, page
//! cache of its backing file); that allocation may enter direct reclaim in
//! the server's own thread.
//!
//! The server can misbehave: be slow (handler time), drop WRITE replies
//! (buggy), be frozen (as before suspend), crash -- with the /dev/fuse fd
//! closed (the connection is aborted) or kept by a supervisor and restarted
//! (requests it had read are lost unless the new server asks for them with
//! FUSE_NOTIFY_RESEND) -- or answer nothing at all (malicious) until the
//! connection is aborted through /sys/fs/fuse/connections/N/abort.
//!
//! Writeback gathers contiguous folios into WRITEs of up to max_pages, as
//! fuse_writepages_fill does.
//!
//! Not modelled: FUSE_INIT and the rest of the protocol, reads other than
//! the read of a page before a partial write, splice, background request
//! limits, request interruption, large folios.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "model/world.h"
#include "sim/completion.h"
#include "sim/kthread.h"
#include "sim/rwsem.h"
#include "sim/semaphore.h"
#include "sim/waitqueue.h"

namespace wbsim::model {

struct FuseOptions {
  unsigned server_threads = 1;
  bool temp_pages = false;            // the legacy writeback design
  bool flag_mapping = true;           // AS_WRITEBACK_MAY_DEADLOCK_ON_RECLAIM on no-temp-page mappings
  unsigned handler_alloc_pages = 1;   // pages the server allocates per request
  // Contiguous folios one WRITE carries (fc->max_pages; FUSE_DEFAULT_MAX_PAGES_PER_REQ).
  unsigned max_pages = 32;
  sim::Time handler_time = 50 * sim::kUs;       // per request, whatever its size
  sim::Time handler_ns_per_kib = 0;             // per KiB of WRITE payload
  bool flag_no_data_integrity = true;  // AS_NO_DATA_INTEGRITY on every FUSE mapping (f9a49aa302a0)
  bool sb_no_data_integrity = true;    // SB_I_NO_DATA_INTEGRITY on the superblock (the 2026 fix)
  // The legacy design's cost of a copy in virtual time: the page
  // allocation and the memcpy (docs/fuse.md, "Figures").
  sim::Time temp_copy_ns_per_page = 0;
  // The application's side of a buffered write in virtual time: the call
  // itself and the copy into each page (0: writes take no time).
  sim::Time write_call_ns = 0;
  sim::Time write_ns_per_page = 0;
  // CPUs the costs above compete for (the writer, the flusher's copies and
  // the server's handlers); 0: as many as there are fibers.
  unsigned cpus = 0;
  // fuse_sync_writes: fsync waits for in-flight copies. Off only in tests
  // that plant a violation of writeback-truth (F5).
  bool fsync_waits_in_flight = true;
};

class FuseConn;

struct FuseInode {
  AddressSpace mapping;
  std::uint32_t nodeid = 0;  // the connection's
  std::uint32_t ino = 0;     // the World's: unique across connections
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
  std::uint64_t folios_written = 0;  // folios whose WRITE the server acknowledged
  std::uint64_t writes_answered = 0; // WRITE requests answered (each carries up to max_pages folios)
  std::uint64_t bytes_written = 0;   // payload the server acknowledged
  sim::Time writeback_time = 0;      // summed over folios: PG_writeback set to cleared
  sim::Time request_time = 0;        // summed over WRITEs: queued to answered
  std::uint64_t folios_sent = 0;     // WRITEs queued
  sim::Time first_send = 0;          // first WRITE queued
  sim::Time last_reply = 0;          // last WRITE answered
};

enum class FuseOpcode : std::uint8_t { write, setattr, fsync };

class FuseConn {
 public:
  FuseConn(World& w, const FuseOptions& options);
  ~FuseConn();

  FuseInode& create_file();
  // A buffered write (fuse_perform_write -> the page cache). 0, or
  // -ENOTCONN when a page had to be read from a dead connection.
  int write(FuseInode& inode, loff_t pos, const std::vector<std::uint8_t>& data);
  // fsync / fdatasync (fuse_fsync): write back and wait, in-flight copies
  // included, then a FUSE_FSYNC request. May wait as long as the server
  // does (F3).
  int fsync(FuseInode& inode, bool datasync = false);
  // sync_file_range(2) on the file (no FUSE request; F3).
  int sync_file_range(FuseInode& inode, loff_t offset, loff_t nbytes, unsigned flags);
  // Stops the server threads (they are idle daemons otherwise).
  void stop();
  // A buggy server: WRITE requests are read and never answered, until
  // heal() (the World's liveness phase) answers them.
  void drop_write_replies() { dropping_ = true; }
  // A malicious server: no request of any kind is ever answered. Only
  // abort() ends it; heal() does not.
  void never_reply() { malicious_ = true; }
  // The daemon is frozen (as systemd does before suspend): no request is
  // read until heal() thaws it.
  void freeze() { frozen_ = true; }
  // The server process dies. With `keep_fd` a supervisor holds /dev/fuse
  // and the connection lives on: requests the dead process had read stay
  // unanswered; otherwise the connection is aborted.
  void crash(bool keep_fd);
  // A new server process on the kept fd; with `resend` it sends
  // FUSE_NOTIFY_RESEND, which puts every request still processing back on
  // the pending list.
  void restart(bool resend);
  // fuse_abort_conn: every pending and processing request ends with
  // -ECONNABORTED, later ones fail with -ENOTCONN; writeback ends with the
  // error recorded on the mapping.
  void abort();
  bool connected() const { return connected_; }
  void heal();
  // ->write_inode: a synchronous SETATTR (fuse_write_inode).
  void write_inode(FuseInode& inode);

  const FuseOptions& options() const { return options_; }
  const FuseStats& stats() const { return stats_; }
  World& world() { return w_; }
  const std::vector<std::unique_ptr<FuseInode>>& files() const { return files_; }

 private:
  struct Request {
    std::uint64_t unique = 0;
    FuseOpcode opcode = FuseOpcode::write;
    FuseInode* inode = nullptr;
    loff_t pos = 0;
    std::vector<std::uint8_t> data;
    std::vector<Folio*> folios;       // no-temp design: the folios under writeback
    std::vector<pgoff_t> temp_indices;  // temp design: the in-flight copies' indices
    sim::Time started = 0;
    sim::Completion* done = nullptr;  // a synchronous request's waiter
    int* error = nullptr;             // where its result goes
  };
  friend int fuse_writepages(AddressSpace& mapping, WritebackControl& wbc);
  // Sends a synchronous request and waits for its answer.
  int send_sync(FuseInode& inode, FuseOpcode opcode, const char* note);
  void queue(std::unique_ptr<Request> req);
  void serve(sim::Kthread& self);
  void end_request(Request& req, int error);
  void drain();
  void resend_processing();
  // `ns` of CPU time: on one of options.cpus CPUs when they are counted.
  void cpu_work(sim::Time ns);

  World& w_;
  FuseOptions options_;
  FuseStats stats_;
  std::uint64_t next_unique_ = 1;
  std::deque<std::unique_ptr<Request>> pending_;
  std::map<std::uint64_t, std::unique_ptr<Request>> processing_;  // read by the server, unanswered
  sim::WaitQueue queue_wq_{"fuse.queue"};
  std::unique_ptr<sim::Semaphore> cpus_;
  std::vector<std::unique_ptr<sim::Kthread>> threads_;
  std::vector<std::unique_ptr<FuseInode>> files_;
  bool dropping_ = false;
  bool malicious_ = false;
  bool frozen_ = false;
  bool alive_ = true;       // a server process is attached
  bool connected_ = true;   // not aborted
  std::uint64_t generation_ = 0;  // bumps when the server process dies
};

int fuse_writepages(AddressSpace& mapping, WritebackControl& wbc);

}  // namespace wbsim::model
