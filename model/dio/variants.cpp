#include "model/dio/variants.h"

#include "sim/bug_switch.h"

namespace wbsim::model::variant {

WBSIM_BUG(kBugC25, "dio-aio-no-post-invalidate", "dio/netfs/aio_vs_readahead*", "dio-fresh-cache",
          "332391a fs: Fix page cache inconsistency when mixing buffered and AIO DIO");
WBSIM_BUG(kBugC26, "dio-readd-unlocked", "dio/pagecache-add-lock/readd_window*", "dio-readd-window",
          "bcachefs: pagecache_add_lock held by faults and readahead (Kent Overstreet, 2019)");

WBSIM_BUG(kBugNoTweak, "dio-via-pagecache-no-tweak", "dio/dio-via-pagecache/dio_stream_vs_buffered*",
          "dio-starvation", "the \"slight tweak\" of Matthew Wilcox's design (2019): new DIOs wait for buffered I/O");

WBSIM_BUG(kBugMkwriteUnlocked, "dio-mkwrite-unlocked", "dio/pagecache-add-lock/redirty_vs_dio*", "dio-starvation",
          "bcachefs: bch2_page_mkwrite takes the pagecache add lock (Kent Overstreet, 2019)");

bool aio_dio_skips_post_invalidate() { return sim::bug(kBugC25); }
bool adders_skip_pagecache_add_lock() { return sim::bug(kBugC26); }
bool mkwrite_skips_pagecache_add_lock() { return sim::bug(kBugMkwriteUnlocked); }
bool dio_via_pagecache_without_tweak() { return sim::bug(kBugNoTweak); }

}  // namespace wbsim::model::variant
