//! Page migration and memory hotplug (mm/migrate.c, mm/memory_hotplug.c,
//! reduced to what writeback meets).
//!
//! migrate_folio() moves a folio's contents to a new page: it needs the
//! folio lock and, for a folio under writeback, either gives up (async
//! and sync-light modes) or waits (MIGRATE_SYNC). offline_pages() migrates
//! everything off a memory block and retries until nothing is left.
//!
//! For mappings flagged AS_WRITEBACK_MAY_DEADLOCK_ON_RECLAIM (FUSE) the
//! model follows the v4 proposal of the temp-page series by default:
//! MIGRATE_SYNC returns -EBUSY instead of waiting on their writeback, and
//! offline_pages gives up after five tries. Mainline (the proposal was
//! dropped) waits and retries forever: `--bug fuse-migrate-waits-on-writeback`.
//!
//! A migrated folio is replaced: a new folio takes its page-cache entry,
//! contents, flags and private data (__filemap_migrate_folio, which netfs
//! and FUSE use), and the old one is freed when the isolation reference
//! goes, so whoever kept a pointer to it without a reference meets a freed
//! folio. Simplified: a memory block is a mapping's folios; the move costs
//! no pages (the page budget counts the page cache, not where it lives).
#pragma once

#include "model/mm/filemap.h"

namespace wbsim::model {

enum class MigrateMode : std::uint8_t { async, sync_light, sync };

// 0, or -EBUSY / -EAGAIN when the folio cannot be moved now. The caller
// holds a reference on the folio (it isolated it).
int migrate_folio(Folio& folio, MigrateMode mode);
// filemap_migrate_folio() (__filemap_migrate_folio): src's page-cache
// entry and reference, contents, dirty and TOWRITE, uptodate and private
// data (with its reference) go to the locked, new dst; -EAGAIN if src holds
// references other than the page cache's, its private data's and the
// caller's isolation one.
int filemap_migrate_folio(AddressSpace& mapping, Folio& dst, Folio& src);
// Isolates every folio of `mapping` and migrates each (compaction of the
// blocks they sit in); returns how many could not be moved.
int migrate_mapping(AddressSpace& mapping, MigrateMode mode);
// 0 once no folio of `mapping` needs moving; -EBUSY after the proposal's
// five tries.
int offline_pages(AddressSpace& mapping);

}  // namespace wbsim::model
