//! Pin: include/trace/events/netfs.h at 156ac2ec2ee7 (gregkh/linux, 2026; docs/fidelity.md).
//! netfs tracepoints (include/trace/events/netfs.h) the model re-implements:
//! each writes one trace line, hits the coverage mark of its reason (when the
//! reason has one) and is named after the kernel's trace call and reason.
#pragma once

#include <cstdint>

#include "model/mm/folio.h"

namespace wbsim::model {

// enum netfs_folio_trace, the reasons the write path uses.
enum class NetfsFolioTrace : std::uint8_t {
  netfs_flush_content,
  netfs_just_prefetch,
  netfs_folio_is_uptodate,
  netfs_modify_and_clear,
  netfs_modify_and_clear_rm_finfo,
  netfs_streaming_filled_page,
  netfs_streaming_cont_filled_page,
  netfs_streaming_write,
  netfs_streaming_write_cont,
  netfs_whole_folio_modify,
  netfs_whole_folio_modify_efault,
  netfs_whole_folio_modify_filled,
  netfs_whole_folio_modify_filled_efault,
  netfs_folio_trace_mkwrite,
  netfs_folio_trace_mkwrite_plus,
  netfs_folio_trace_read_gaps,
  netfs_folio_trace_filled_gaps,
  netfs_folio_trace_invalidate_all,
  netfs_folio_trace_invalidate_front,
  netfs_folio_trace_invalidate_middle,
  netfs_folio_trace_invalidate_tail,
};

const char* netfs_folio_trace_name(NetfsFolioTrace why);

// trace_netfs_folio(folio, why): "NFOLI a=index b=why".
void trace_netfs_folio(const Folio& folio, NetfsFolioTrace why);

}  // namespace wbsim::model
