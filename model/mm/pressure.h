//! Memory pressure at arbitrary moments, as fault sites: reclaim of a
//! mapping's clean folios (what kswapd or drop_caches would take) and a
//! wake-up of background writeback. Callers place pressure points where a
//! workload could be interrupted (between the operations of a replay).
#pragma once

#include "model/mm/filemap.h"

namespace wbsim::model {

class Flusher;

// Evicts every clean, unlocked folio not under writeback (through
// ->release_folio); returns how many went.
int shrink_clean_folios(AddressSpace& mapping);

// Evaluates the mm.reclaim_clean and mm.writeback_kick fault sites.
void mm_pressure_point(AddressSpace& mapping, Flusher* flusher);

}  // namespace wbsim::model
