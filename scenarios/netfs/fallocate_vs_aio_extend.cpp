// Why: an asynchronous direct write that extends the file sets i_size when
//      it completes, from a workqueue, after its submitter dropped the inode
//      lock. Before "smb: client: fix race with fallocate(2) and AIO+DIO"
//      (dba9f997c9d9), cifs_fallocate() took no lock and waited for nothing:
//      an allocation that extends the file read i_size before such a write
//      completed, and its SMB2_set_eof() and cifs_setsize() then cut the file
//      back to the allocation's end, under data the write had stored and
//      reported (the zoo bug netfs-fallocate-unlocked). Since the fix,
//      cifs_fallocate() holds the inode lock and waits for the inode's
//      outstanding requests first.
// How: a file on the server; an io_uring direct write extends it well past
//      its end while the application allocates (mode 0) to a point between
//      the old end and the write's end. The write must be there afterwards.
#include "model/netfs/netfs.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_fallocate_vs_aio_extend, "netfs/fallocate_vs_aio_extend", .faults = false,
               .pct_steps_hint = 600,
               .why = "an extending allocation never shrinks i_size below an AIO+DIO write that completed meanwhile") {
  model::World w({.server = {.latency_min = sim::kMs, .latency_max = 3 * sim::kMs}});
  model::NetfsInode& inode = w.create_file();
  constexpr std::uint64_t kSize = 2 * 4096;
  w.preload(inode, pattern(60, kSize));
  const std::uint64_t dio_len = 4 * 4096;
  s.spawn("direct", [&] {
    model::NetfsFile f = w.open(inode);
    model::netfs_unbuffered_write_iter(f, static_cast<model::loff_t>(kSize), pattern(61, dio_len), /*aio=*/true);
  });
  s.spawn("falloc", [&] {
    model::NetfsFile f = w.open(inode);
    sim::sleep(sim::draw(2000) * sim::kUs);
    const auto off = static_cast<model::loff_t>(kSize / 2);
    const std::uint64_t len = kSize / 2 + 1 + sim::draw(static_cast<std::uint32_t>(dio_len - 2));
    SIM_ASSERT_CMP(model::netfs_range_op(f, model::RangeOp::allocate, off, len, 0, false), ==, 0);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
