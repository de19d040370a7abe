// Why: netfs_writeback_single() writes a monolithic object that is not in
//      the page cache (an afs directory's contents, kept in a folio_queue)
//      to the cache and/or the server: the folios are attached to the
//      rolling buffer with a reference of their own, the tail past the
//      object's size is zeroed, and the collector must neither unlock nor
//      end writeback on them (they are not page-cache folios).
// How: an afs-like directory with a local cache: its blob of a few folios
//      (sometimes more than a folio_queue segment holds) changes and is
//      written back whole, each time waited for; the cache must then hold
//      exactly the blob, and nothing past the largest size it had. As at the pin, ->begin_writeback is
//      never called here (docs/findings.md), so nothing is uploaded.
#include <algorithm>
#include <memory>

#include "model/netfs/internal.h"
#include "scenarios/netfs_support.h"

namespace wbsim::scenarios {

WBSIM_SCENARIO(netfs_writeback_single_dir, "netfs/writeback_single_dir", .faults = false,
               .why = "a directory blob is written back with netfs_writeback_single") {
  model::World w;
  model::NetfsInode& dir = w.create_file({.cache = true, .prepare_write = sim::draw(2) == 0});
  std::vector<std::unique_ptr<model::Folio>> blob;
  std::vector<model::Folio*> payload;
  // Mostly a few folios; sometimes more than one folio_queue segment holds
  // (31 slots), so the rolling buffer must grow while the blob is attached.
  const std::uint32_t folios = sim::draw(2) == 0 ? 32 + sim::draw(17) : 1 + sim::draw(4);
  std::uint64_t largest = 0;  // the largest size the directory has had
  for (std::uint32_t i = 0; i < folios; ++i) {
    auto f = std::make_unique<model::Folio>();
    f->index = i;
    f->data.assign(model::kPageSize, 0);
    payload.push_back(f.get());
    blob.push_back(std::move(f));
  }
  s.spawn("dir-editor", [&] {
    for (std::uint32_t round = 0; round < 3; ++round) {
      // An edit: the directory's size (its i_size, as the server reports it)
      // and contents change.
      const std::uint64_t size = 1 + sim::draw(static_cast<std::uint32_t>(folios * model::kPageSize));
      dir.i_size = static_cast<model::loff_t>(size);
      largest = std::max(largest, size);
      for (std::uint64_t b = 0; b < size; ++b) payload[b / model::kPageSize]->data[b % model::kPageSize] =
          static_cast<std::uint8_t>(1 + (round * 37 + b) % 250);
      model::WritebackControl wbc;
      wbc.sync_mode = model::SyncMode::all;
      model::netfs_writeback_single(dir.mapping, wbc, payload, size);
      sim::wait_on_bit(dir.requests.back()->flags, model::NETFS_RREQ_IN_PROGRESS);
      const auto& cached = w.cache().data(dir.ino);
      bool same = cached.size() >= size;
      for (std::uint64_t b = 0; same && b < size; ++b)
        same = cached[b] == payload[b / model::kPageSize]->data[b % model::kPageSize];
      SIM_CHECK("data-integrity", same, "round {}: the cache does not hold the directory's {} bytes", round, size);
      // The object is written up to its i_size, the folio's tail past it
      // zeroed and not sent: the cache never holds more than the largest
      // size the directory had (cachefiles would round that to its block
      // size; the model's cache keeps the bytes sent).
      SIM_CHECK("data-integrity", cached.size() <= largest,
                "round {}: the cache holds {} bytes, but the directory never had more than {}", round,
                cached.size(), largest);
      // netfs_write_folio_single() zeroes the last folio past i_size
      // (folio_zero_segment()), so a cache that rounds the write up to its
      // block size stores zeros there, not an earlier, longer blob's bytes.
      if (size % model::kPageSize != 0) {
        const auto& last = payload[size / model::kPageSize]->data;
        const bool zeroed = std::all_of(last.begin() + static_cast<std::ptrdiff_t>(size % model::kPageSize),
                                        last.end(), [](std::uint8_t b) { return b == 0; });
        SIM_CHECK("data-integrity", zeroed, "round {}: the directory's last folio is not zeroed past its size {}",
                  round, size);
      }
    }
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
