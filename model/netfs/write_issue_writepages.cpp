// Pin: fs/netfs/write_issue.c at 003aa0dd26c9 (gregkh/linux, 2026; docs/fidelity.md).
// The page-cache entry of write_issue.c: netfs_writepages() and, for when
// the request cannot be made, netfs_kill_dirty_pages(). The issuer it
// drives (netfs_write_folio and the stream helpers) is in write_issue.cpp.
#include "model/netfs/internal.h"
#include "model/netfs/marks.h"
#include "sim/assert.h"
#include "sim/scheduler.h"

namespace wbsim::model {

namespace {

// netfs_kill_dirty_pages(): an unrecoverable error before the request
// existed; every remaining folio is cleaned without I/O.
void netfs_kill_dirty_pages(AddressSpace& mapping, WritebackControl& wbc, Folio* folio) {
  int error = 0;
  do {
    FolioPrivate priv = folio_detach_private(*folio);
    NetfsGroup* group = nullptr;
    if (priv.kind == FolioPrivate::Kind::streaming) {
      group = priv.finfo->netfs_group;
      netfs_free_folio_info(priv.finfo);
    } else if (priv.kind == FolioPrivate::Kind::group) {
      group = priv.group;
    }
    folio_start_writeback(*folio);
    folio_unlock(*folio);
    folio_end_writeback(*folio);
    netfs_put_group(group);
  } while ((folio = writeback_iter(mapping, wbc, folio, &error)) != nullptr);
}

}  // namespace

int netfs_writepages(AddressSpace& mapping, WritebackControl& wbc) {
  NetfsInode& ictx = netfs_inode(mapping);
  if (!ictx.wb_lock->trylock()) {
    if (wbc.sync_mode == SyncMode::none) return 0;
    ictx.wb_lock->lock();
  }
  int error = 0;
  Folio* folio = writeback_iter(mapping, wbc, nullptr, &error);
  if (folio == nullptr) {
    ictx.wb_lock->unlock();
    return error;
  }
  if (ictx.fail_create_write_req > 0) {
    --ictx.fail_create_write_req;
    // netfs_create_write_req() failed (-ENOMEM): clean up every folio.
    mark(kMarkKillDirtyPages);
    netfs_kill_dirty_pages(mapping, wbc, folio);
    ictx.wb_lock->unlock();
    return -12;
  }
  NetfsIoRequest& wreq = netfs_create_write_req(mapping, folio->pos(), NetfsIoOrigin::writeback);
  if (ictx.writeback_groups) wreq.group = netfs_folio_group(*folio);
  do {
    // It appears we don't have to handle cyclic writeback wrapping.
    SIM_ASSERT_MSG(folio->pos() >= wreq.issued_to, "R={:08x}: folio {} below issued_to {}", wreq.debug_id,
                   folio->pos(), wreq.issued_to);
    if (folio->priv.kind != FolioPrivate::Kind::copy_to_cache && !wreq.test(NETFS_RREQ_UPLOAD_TO_SERVER)) {
      sim::set_bit(NETFS_RREQ_UPLOAD_TO_SERVER, wreq.flags);
      ictx.ops->begin_writeback(wreq);
    }
    error = netfs_write_folio(wreq, wbc, *folio);
    if (error < 0) break;
  } while ((folio = writeback_iter(mapping, wbc, folio, &error)) != nullptr);

  netfs_end_issue_write(wreq);
  ictx.wb_lock->unlock();
  netfs_wake_write_collector(wreq);
  netfs_put_request(wreq);
  return error;
}

}  // namespace wbsim::model
