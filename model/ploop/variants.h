//! Named mistakes in dm-ploop (`--bug NAME`; `wbsim bugs`), each one the
//! "parallel pio processing" series names, fixes or must not make, so a
//! checker can be shown to find it and to stay quiet without it.
#pragma once

namespace wbsim::model::variant {

// A data pio of an allocating write completes when its data is written,
// without waiting for its BAT page write and the flush after it (P1).
bool data_pio_skips_bat_wait();
// A pio attaches to an md page whose writeback is in flight instead of
// waiting on its wait_list: the page is redirtied under writeback (P3).
bool md_redirty_under_writeback();
// A write that hit ENOSPC fails upward instead of being parked (P6).
bool enospc_fails_pio();
// The fsync worker ends its flush pios before vfs_fsync has returned (P5).
bool flush_ends_before_fsync();
// A pio does not wait for a cluster's lock (discard) before using it (P7).
bool discard_skips_cluster_lock();
// A failed BAT update returns the file clusters it allocated to the holes
// bitmap, where the driver sets the bits of the device clusters' numbers:
// the fix the mix-up invites, wrong while the md page write that failed
// only in its flush is in the file ("FIXME: a failure may mean some
// sectors are written, so we have to reread BAT page").
bool failed_bat_frees_allocated();

}  // namespace wbsim::model::variant
