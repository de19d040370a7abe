// Pin: include/trace/events/netfs.h at 156ac2ec2ee7 (gregkh/linux, 2026; docs/fidelity.md).
#include "model/netfs/trace.h"

#include <array>

#include "model/trace_reasons.h"
#include "sim/coverage.h"

namespace wbsim::model {

WBSIM_MARK(kMarkFlushContent, "netfs.flush_content",
           "a write flushed a folio first (another group, or streaming data it cannot continue)");
WBSIM_MARK(kMarkJustPrefetch, "netfs.just_prefetch", "a partial write read the folio first (the file has a cache)");
WBSIM_MARK(kMarkModifyAndClear, "netfs.modify_and_clear", "a write above zero_point cleared the folio first");
WBSIM_MARK(kMarkStreamingFilled, "netfs.streaming_filled_page", "a streaming write filled a whole empty folio");
WBSIM_MARK(kMarkStreamingContFilled, "netfs.streaming_cont_filled_page",
           "a continued streaming write completed its folio");
WBSIM_MARK(kMarkStreamingWrite, "netfs.streaming_write", "a partial write into a folio that is not uptodate");
WBSIM_MARK(kMarkStreamingCont, "netfs.streaming_write_cont", "a streaming write continued the dirty range");
WBSIM_MARK(kMarkWholeFolioModifyFilled, "netfs.whole_folio_modify_filled",
           "a whole-folio write replaced a streaming folio's record");
WBSIM_MARK(kMarkMkwritePlus, "netfs.mkwrite_plus", "page_mkwrite on a folio already dirty");
WBSIM_MARK(kMarkReadGaps, "netfs.read_gaps", "a read filled the gaps around a streaming write's dirty range");
WBSIM_MARK(kMarkFilledGaps, "netfs.filled_gaps", "a read made a streaming folio uptodate and dropped its record");
WBSIM_MARK(kMarkInvalidateAll, "netfs.invalidate_all", "an invalidation erased a folio's private data completely");
WBSIM_MARK(kMarkInvalidateTail, "netfs.invalidate_tail", "a truncate cut the tail off a streaming record");

namespace {

struct Reason {
  const char* name;
  const sim::CoverageMark* mark;
};

// Indexed by NetfsFolioTrace.
constexpr std::array<Reason, 21> kReasons = {{
    {"flush", &kMarkFlushContent},
    {"mod-prefetch", &kMarkJustPrefetch},
    {"mod-uptodate", nullptr},
    {"mod-n-clear", &kMarkModifyAndClear},
    {"mod-n-clear+", nullptr},
    {"mod-streamw-f", &kMarkStreamingFilled},
    {"mod-streamw-f+", &kMarkStreamingContFilled},
    {"mod-streamw", &kMarkStreamingWrite},
    {"mod-streamw+", &kMarkStreamingCont},
    {"mod-whole-f", nullptr},
    {"mod-whole-f!", nullptr},
    {"mod-whole-f+", &kMarkWholeFolioModifyFilled},
    {"mod-whole-f+!", nullptr},
    {"mkwrite", nullptr},
    {"mkwrite+", &kMarkMkwritePlus},
    {"read-gaps", &kMarkReadGaps},
    {"filled-gaps", &kMarkFilledGaps},
    {"inval-all", &kMarkInvalidateAll},
    // A partial invalidation that ends inside a record: a hole punched or a
    // range zeroed by truncate_pagecache_range() over a dirty streaming
    // folio (model/netfs/range_ops.cpp). No scenario is required to reach it.
    {"inval-front", nullptr},
    {"inval-mid", nullptr},
    {"inval-tail", &kMarkInvalidateTail},
}};

}  // namespace

const char* netfs_folio_trace_name(NetfsFolioTrace why) { return kReasons[static_cast<std::size_t>(why)].name; }

void trace_netfs_folio(const Folio& folio, NetfsFolioTrace why) {
  const Reason& r = kReasons[static_cast<std::size_t>(why)];
  trace_ev(Ev::netfs_folio, folio.index, static_cast<std::uint64_t>(why));
  if (r.mark != nullptr) sim::mark(*r.mark);
}

}  // namespace wbsim::model
