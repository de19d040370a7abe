// Why: a finding in mainline's shape (docs/findings.md F21).
//      netfs_perform_write() faults the user pages of a part in
//      (fault_in_iov_iter_readable()), then gets the folio, which may
//      allocate and reclaim, and copies with page faults disabled
//      (copy_folio_from_iter_atomic()). If the user page was taken in
//      between (reclaimed, migrated, or unmapped for NUMA hinting), the copy
//      comes back empty and netfs ends the write with -EFAULT, or a short
//      count if it had written a part already. generic_perform_write()
//      faults the page in again and goes on; it fails only if that fault-in
//      fails. The buffer is valid: write(2) must not say it is not.
// How: a file on the server; a write of a drawn size into one user page,
//      every copy from the user buffer stopping at a page that was taken
//      (user.copy_short at every copy, the first page each time).
#include "model/mm/iov_iter.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_write_efault_valid_buffer, "netfs/write_efault_valid_buffer",
               .expect = sim::Expect::fail_always, .expect_checker = "app-contract", .faults = false,
               .why = "a copy that comes back empty after fault-in ends the write with -EFAULT (finding)") {
  model::World w;
  model::NetfsInode& inode = w.create_file();
  w.preload(inode, pattern(190, 8192 + sim::draw(8192)));
  s.spawn("app", [&] {
    model::NetfsFile f = w.open(inode);
    const std::uint64_t len = 1 + sim::draw(4095);  // one user page: the copy stops before its first byte
    model::force_user_copy_faults(1);
    const std::int64_t r =
        model::netfs_file_write(f, static_cast<model::loff_t>(sim::draw(16384)), pattern(191, len), {});
    SIM_CHECK("app-contract", r != model::kEFAULT,
              "write(2) of {} bytes from a valid buffer returned -EFAULT: the page was faulted in, and the copy "
              "after it came back empty",
              len);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
