// Direct I/O on a local file under each coherency design: the iomap_dio_rw
// shape (flush and invalidate, bios, completion in the submitter for a
// synchronous kiocb or from a workqueue for an asynchronous one), with each
// design's locks and waits around it.
#include <algorithm>
#include <climits>

#include "model/dio/coherency.h"
#include "model/dio/local.h"
#include "model/dio/local_internal.h"
#include "model/dio/variants.h"
#include "model/errno.h"
#include "model/events.h"
#include "model/mm/page_writeback.h"
#include "model/netfs/internal.h"
#include "sim/assert.h"
#include "sim/completion.h"
#include "sim/coverage.h"

namespace wbsim::model {

WBSIM_MARK_IN(kMarkDioViaCache, "dio.write_through_pagecache", "dio/*",
              "dio-via-pagecache: a DIO met cached pages and went through the page cache");
WBSIM_MARK_IN(kMarkPostInvalidated, "dio.post_invalidated", "dio/*",
              "an AIO DIO write's completion dropped a page added during the write (the C25 fix at work)");

namespace {

sim::FiberId current() { return sim::Scheduler::current().current_fiber(); }
pgoff_t first_page(loff_t pos) { return static_cast<pgoff_t>(pos) >> kPageShift; }
pgoff_t last_page(loff_t end) { return static_cast<pgoff_t>(end) >> kPageShift; }  // end inclusive

// One DIO in flight: what its completion must do and who waits for it.
struct Dio {
  LocalInode* inode = nullptr;
  std::uint32_t id = 0;
  bool write = false;
  bool aio = false;
  loff_t pos = 0;
  std::uint64_t len = 0;
  sim::FiberId submitter = sim::kNoFiber;
  bool window = false;         // a write window was opened
  bool dio_counted = false;    // inode_dio_begin was called
  bool block_held = false;     // pagecache-add-lock's block hold
  bool entries = false;        // lock entries placed
  bool netfs_exclusion = false;
  int bio_result = 0;
  std::vector<std::uint8_t> read_data;
  std::int64_t result = 0;
  sim::Completion bio_done{"dio.bio"};
  sim::Completion ki_complete{"dio.ki_complete"};
  std::unique_ptr<sim::Work> work;
};

void open_window(Dio& d, loff_t end) {
  d.window = true;
  MODEL_EVENT(local_dio_window_open(*d.inode, d.id, d.pos, end));
}

void inode_dio_begin_local(Dio& d) {
  ++d.inode->vfs.i_dio_count;  // inode_dio_begin
  d.inode->dio_submitters.insert(d.submitter);
  d.dio_counted = true;
}

// iomap_dio_complete (+ kiocb_invalidate_post_direct_write for a write):
// runs in the submitter for a synchronous kiocb, else from the workqueue.
void dio_complete(Dio& d) {
  LocalInode& inode = *d.inode;
  d.result = d.bio_result < 0 ? d.bio_result : static_cast<std::int64_t>(d.len);
  if (d.write && d.bio_result == 0) {
    const loff_t end = d.pos + static_cast<loff_t>(d.len) - 1;
    if (!(d.aio && variant::aio_dio_skips_post_invalidate()) && inode.policy == DioPolicy::netfs) {
      // Pages added while the write was in flight are stale: drop them.
      if (filemap_range_has_page(inode.vfs.mapping, d.pos, end)) mark(kMarkPostInvalidated);
      invalidate_inode_pages2_range(inode.vfs.mapping, first_page(d.pos), last_page(end));
    }
    if (d.pos + static_cast<loff_t>(d.len) > inode.vfs.i_size) local_set_size(inode, d.pos + static_cast<loff_t>(d.len));
  }
  if (d.window) MODEL_EVENT(local_dio_window_close(inode, d.id, d.result));
  if (d.entries) remove_lock_entries(inode, d.id);
  if (d.block_held) pagecache_block_put(inode, d.submitter);
  // The DIO leaves the netfs exclusion as its count drops: inode_dio_end's
  // wake-up may let a buffered op in at once.
  if (d.netfs_exclusion) MODEL_EVENT(netfs_exclusion(inode.vfs, /*dio=*/true, /*enter=*/false));
  if (d.dio_counted) {
    inode.dio_submitters.erase(inode.dio_submitters.find(d.submitter));
    inode_dio_end(inode.vfs);
  }
}

// The design's lock for the submission: i_rwsem as each takes it.
void dio_lock(Dio& d) {
  LocalInode& inode = *d.inode;
  switch (inode.policy) {
    case DioPolicy::netfs: {
      const int ret = netfs_start_io_direct(inode.vfs);
      SIM_ASSERT_CMP(ret, ==, 0);
      d.netfs_exclusion = true;
      MODEL_EVENT(netfs_exclusion(inode.vfs, /*dio=*/true, /*enter=*/true));
      return;
    }
    case DioPolicy::pagecache_add_lock:
      if (d.write) {
        inode.vfs.i_rwsem->down_write();  // bch2_direct_write: inode_lock
      } else {
        inode.vfs.i_rwsem->down_read();
      }
      return;
    case DioPolicy::lock_entries:
    case DioPolicy::dio_via_pagecache:
      inode.vfs.i_rwsem->down_read();  // iomap: shared for DIO
      return;
  }
}

void dio_unlock(Dio& d) {
  LocalInode& inode = *d.inode;
  if (inode.policy == DioPolicy::netfs) {
    netfs_end_io_direct(inode.vfs);
  } else if (inode.policy == DioPolicy::pagecache_add_lock && d.write) {
    inode.vfs.i_rwsem->up_write();
  } else {
    inode.vfs.i_rwsem->up_read();
  }
}

// Submits the bio; a synchronous DIO completes here, an asynchronous one
// returns at once (-EIOCBQUEUED) and completes from the workqueue.
void dio_submit(Dio& d, std::vector<std::uint8_t> data) {
  LocalInode& inode = *d.inode;
  auto end_io = [&d](int r) {
    d.bio_result = r;
    if (!d.aio) {
      d.bio_done.complete();
      return;
    }
    // iomap_dio_bio_end_io: a write's completion must invalidate, which
    // cannot be done from the bio's context: defer to the workqueue.
    d.work = std::make_unique<sim::Work>(fmt::format("dio.complete{}", d.id), [&d] {
      dio_complete(d);
      d.ki_complete.complete();
    });
    d.inode->fs->dio_wq().queue_work(*d.work);
  };
  if (d.write) {
    inode.fs->dev().submit_write(inode.disk, d.pos, std::move(data), /*may_fail=*/true, end_io);
  } else {
    inode.fs->dev().submit_read(inode.disk, d.pos, d.len, /*may_fail=*/true,
                                [&d, end_io](int r, std::vector<std::uint8_t> bytes) {
                                  d.read_data = std::move(bytes);
                                  end_io(r);
                                });
  }
  if (!d.aio) {
    d.bio_done.wait();
    dio_complete(d);
  }
}

// The source buffer: the caller's bytes, or a gup of a shared mapping of
// this file (FOLL_READ: read faults on each page not in the cache).
int dio_get_user_pages(LocalInode& inode, std::vector<std::uint8_t>& data, std::optional<loff_t> user_buf_pos) {
  if (!user_buf_pos) return 0;
  for (std::uint64_t done = 0; done < data.size();) {
    const loff_t at = *user_buf_pos + static_cast<loff_t>(done);
    const std::uint64_t part = std::min<std::uint64_t>(kPageSize - static_cast<std::uint64_t>(at) % kPageSize,
                                                       data.size() - done);
    const int ret = local_fault_read(inode, at, part, data.data() + done);
    if (ret < 0) return ret;
    done += part;
  }
  return 0;
}

// Each design's preparation of a DIO write's range before its bios: 0
// with the window open and the DIO counted, or a negative errno.
std::int64_t dio_write_prepare(Dio& d, loff_t end) {
  LocalInode& inode = *d.inode;
  const loff_t pos = d.pos;
  std::int64_t ret = 0;
  switch (inode.policy) {
    case DioPolicy::netfs:
      // kiocb_invalidate_pages (as netfs_unbuffered_write_iter_locked):
      // write back, then drop the clean pages of the range. The window
      // opens once the shoot-down is over (faults wait for it).
      ret = filemap_write_and_wait_range(inode.vfs.mapping, pos, end);
      if (ret == 0) ret = filemap_invalidate_inode_locked(inode, pos, end);
      break;
    case DioPolicy::pagecache_add_lock:
      pagecache_block_get(inode);
      d.block_held = true;
      ret = write_invalidate_inode_pages_range(inode, pos, end);
      break;
    case DioPolicy::lock_entries:
      ret = filemap_write_and_wait_range(inode.vfs.mapping, pos, end);
      if (ret == 0) {
        place_lock_entries(inode, d.id, pos, end);
        d.entries = true;
      }
      break;
    case DioPolicy::dio_via_pagecache:
      break;  // "If i_pages is empty, DIOs increment i_dio_count, do the IO and decrement"
  }
  if (ret == 0) {
    open_window(d, end);
    inode_dio_begin_local(d);
  }
  return ret;
}

// dio-via-pagecache with pages cached: "DIO is implemented by doing
// buffered I/O and waiting for the pages to finish writeback". Called with
// the DIO's lock held; drops it.
std::int64_t dio_write_through_pagecache(Dio& d, std::vector<std::uint8_t>& bytes, std::optional<loff_t> user_buf_pos) {
  LocalInode& inode = *d.inode;
  mark(kMarkDioViaCache);
  dio_unlock(d);
  const int got = dio_get_user_pages(inode, bytes, user_buf_pos);
  SIM_ASSERT_CMP(got, ==, 0);  // no lock of this design refuses a fault
  LocalFile f{&inode};
  std::int64_t ret = local_buffered_write(f, d.pos, bytes);  // announces its own data
  if (ret >= 0) ret = filemap_write_and_wait_range(inode.vfs.mapping, d.pos, d.pos + static_cast<loff_t>(d.len) - 1);
  if (ret == 0) ret = static_cast<std::int64_t>(d.len);
  MODEL_EVENT(local_op_end(inode, LocalOp::dio_write, d.pos, d.len, ret));
  return ret;
}

}  // namespace

std::int64_t local_dio_write(LocalFile& file, loff_t pos, const std::vector<std::uint8_t>& data, bool aio,
                             std::optional<loff_t> user_buf_pos) {
  LocalInode& inode = *file.inode;
  MODEL_EVENT(local_op_begin(inode, LocalOp::dio_write, pos, data.size()));
  auto d = std::make_shared<Dio>();
  // An asynchronous completion's work item may still be unwinding when the
  // waiter returns: the filesystem keeps the dio until it goes.
  inode.fs->dio_keepalive.push_back(d);
  d->inode = &inode;
  d->id = inode.next_dio_id++;
  d->write = true;
  d->aio = aio;
  d->pos = pos;
  d->len = data.size();
  d->submitter = current();
  const loff_t end = pos + static_cast<loff_t>(data.size()) - 1;
  std::vector<std::uint8_t> bytes = data;
  dio_lock(*d);
  if (inode.policy == DioPolicy::dio_via_pagecache) {
    dio_wait_for_buffered_waiters(inode);
    if (inode.vfs.mapping.nrpages != 0) return dio_write_through_pagecache(*d, bytes, user_buf_pos);
  }
  std::int64_t ret = dio_write_prepare(*d, end);
  if (ret == 0) {
    // bcachefs: faults on this mapping from here on are refused.
    if (inode.policy == DioPolicy::pagecache_add_lock) inode.fs->faults_disabled_mapping[current()] = &inode.vfs.mapping;
    ret = dio_get_user_pages(inode, bytes, user_buf_pos);
    inode.fs->faults_disabled_mapping.erase(current());
  }
  if (ret < 0) {
    d->bio_result = static_cast<int>(ret);
    dio_complete(*d);
    dio_unlock(*d);
    MODEL_EVENT(local_op_end(inode, LocalOp::dio_write, pos, data.size(), ret));
    return ret;
  }
  MODEL_EVENT(local_write_data(inode, LocalOp::dio_write, pos, bytes));
  dio_submit(*d, std::move(bytes));
  // An asynchronous kiocb drops the inode lock as the submission returns
  // -EIOCBQUEUED; the completion comes later.
  dio_unlock(*d);
  if (aio) d->ki_complete.wait();
  MODEL_EVENT(local_op_end(inode, LocalOp::dio_write, pos, data.size(), d->result));
  return d->result;
}

std::vector<std::uint8_t> local_dio_read(LocalFile& file, loff_t pos, std::uint64_t len, bool aio, int* error) {
  LocalInode& inode = *file.inode;
  MODEL_EVENT(local_op_begin(inode, LocalOp::dio_read, pos, len));
  auto d = std::make_shared<Dio>();
  inode.fs->dio_keepalive.push_back(d);
  d->inode = &inode;
  d->id = inode.next_dio_id++;
  d->aio = aio;
  d->pos = pos;
  d->submitter = current();
  dio_lock(*d);
  // A read past EOF is short; sample the size under the lock.
  d->len = static_cast<std::uint64_t>(std::clamp<loff_t>(inode.vfs.i_size - pos, 0, static_cast<loff_t>(len)));
  const loff_t end = pos + static_cast<loff_t>(std::max<std::uint64_t>(d->len, 1)) - 1;
  std::vector<std::uint8_t> out;
  int ret = 0;
  if (inode.policy == DioPolicy::dio_via_pagecache && inode.vfs.mapping.nrpages != 0) {
    mark(kMarkDioViaCache);
    dio_unlock(*d);
    LocalFile f{&inode};
    out = local_buffered_read(f, pos, len, &ret);
    MODEL_EVENT(local_read_data(inode, LocalOp::dio_read, pos, out));
    MODEL_EVENT(local_op_end(inode, LocalOp::dio_read, pos, len, ret < 0 ? ret : static_cast<std::int64_t>(out.size())));
    if (error != nullptr) *error = ret;
    return out;
  }
  if (inode.policy == DioPolicy::dio_via_pagecache) dio_wait_for_buffered_waiters(inode);
  // kiocb_write_and_wait: dirty cached data reaches the device first.
  ret = d->len == 0 ? 0 : filemap_write_and_wait_range(inode.vfs.mapping, pos, end);
  if (ret == 0 && d->len != 0) {
    inode_dio_begin_local(*d);
    dio_submit(*d, {});
    dio_unlock(*d);
    if (aio) d->ki_complete.wait();
    ret = static_cast<int>(std::min<std::int64_t>(d->result, 0));
    if (ret == 0) out = std::move(d->read_data);
  } else {
    dio_unlock(*d);
  }
  MODEL_EVENT(local_read_data(inode, LocalOp::dio_read, pos, out));
  MODEL_EVENT(local_op_end(inode, LocalOp::dio_read, pos, len, ret < 0 ? ret : static_cast<std::int64_t>(out.size())));
  if (error != nullptr) *error = ret;
  return out;
}

}  // namespace wbsim::model
