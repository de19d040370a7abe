//! Named variants of the coherency designs (`--bug NAME`; `wbsim bugs`):
//! each re-creates a race the design's authors closed, so a checker can be
//! shown to find it and to stay quiet without it.
#pragma once

namespace wbsim::model::variant {

// C25 (332391a "fs: Fix page cache inconsistency when mixing buffered and
// AIO DIO"): an AIO DIO write completes without invalidating its range again.
bool aio_dio_skips_post_invalidate();
// C26 (Kent's re-add race): faults and readahead add pages without the
// pagecache add lock, as the generic kernel does.
bool adders_skip_pagecache_add_lock();
// page_mkwrite redirties a page without the pagecache add lock, so a DIO's
// write-and-invalidate loop can spin under a redirtier (Kent: "a process
// continuously redirtying a page is going to make truncate/dio operations spin").
bool mkwrite_skips_pagecache_add_lock();
// dio-via-pagecache without the "slight tweak": new DIOs do not wait for
// buffered I/O that waits on i_dio_count.
bool dio_via_pagecache_without_tweak();

}  // namespace wbsim::model::variant
