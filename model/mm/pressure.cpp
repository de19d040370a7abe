#include "model/mm/pressure.h"

#include <vector>

#include "model/mm/flusher.h"
#include "model/mm/page_writeback.h"
#include "model/mm/reclaim.h"
#include "sim/fault.h"

namespace wbsim::model {

WBSIM_FAULT_SITE(kReclaimClean, "mm.reclaim_clean", "reclaim evicts a file's clean folios");
WBSIM_FAULT_SITE(kWritebackKick, "mm.writeback_kick", "background writeback is woken at an arbitrary moment");

int shrink_clean_folios(AddressSpace& mapping) {
  // Collected first: removal changes the map.
  std::vector<Folio*> victims;
  for (const auto& [index, f] : mapping.folios) {
    if (!folio_test_dirty(*f) && !folio_test_writeback(*f) && !folio_test_locked(*f)) victims.push_back(f);
  }
  int evicted = 0;
  for (Folio* f : victims) evicted += evict_clean_folio(mapping, *f) ? 1 : 0;
  return evicted;
}

void mm_pressure_point(AddressSpace& mapping, Flusher* flusher) {
  if (sim::fault(kReclaimClean)) shrink_clean_folios(mapping);
  if (flusher != nullptr && sim::fault(kWritebackKick)) flusher->wakeup_background();
}

}  // namespace wbsim::model
