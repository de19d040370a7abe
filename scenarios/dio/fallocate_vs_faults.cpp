// Why: fallocate's insert and collapse move every byte after the range, so
//      a page faulted or read back in between the write-back and the shift
//      would show data at its old offset; Kent on ext4's fallocate: "it
//      looked _completely_ broken". mapping->invalidate_lock, taken by
//      faults, page_mkwrite and readahead, is mainline's answer.
// How: a fiber collapses a range out of the file and inserts one back
//      (and punches a hole) while one fiber loads and stores through a
//      mapping and another writes buffered; every read is checked against
//      the shifted shadow. Reads begin after the last shift, since a read
//      that straddles one has no single right answer per offset.
#include "scenarios/dio_support.h"

namespace wbsim::scenarios {

WBSIM_DIO_SCENARIO(dio_fallocate_vs_faults,
                   {.shape = "fallocate_vs_faults",
                    .why = "fallocate's insert and collapse never meet a page re-added at its old offset"}) {
  model::World w;
  model::LocalFs fs(w);
  model::LocalInode& inode = dio_file(fs);
  bool shifted = false;
  s.spawn("layout", [&] {
    model::LocalFile f = fs.open(inode);
    sim::sleep(sim::draw(2000) * sim::kUs);
    const std::uint64_t at = 2 + sim::draw(8);
    model::local_fallocate(f, model::FallocMode::collapse_range, page(at), 2 * model::kPageSize);
    sim::sleep(sim::draw(2000) * sim::kUs);
    model::local_fallocate(f, model::FallocMode::insert_range, page(at), 2 * model::kPageSize);
    shifted = true;
  });
  s.spawn("mapper", [&] {
    model::LocalFile f = fs.open(inode);
    for (std::uint32_t i = 0; i < 8 && !shifted; ++i) {
      model::local_mmap_write(f, page(sim::draw(12)) + sim::draw(4096), pattern(90 + i, 1 + sim::draw(2048)));
      sim::sleep(sim::draw(800) * sim::kUs);
    }
  });
  s.spawn("writer", [&] {
    model::LocalFile f = fs.open(inode);
    for (std::uint32_t i = 0; i < 3 && !shifted; ++i) {
      model::local_buffered_write(f, page(sim::draw(12)), pattern(100 + i, 1 + sim::draw(8192)));
      sim::sleep(sim::draw(1500) * sim::kUs);
    }
  });
  s.run();
  s.spawn("verify", [&] {
    model::LocalFile f = fs.open(inode);
    model::local_mmap_read(f, 0, kDioFilePages * model::kPageSize);
    model::local_buffered_read(f, 0, kDioFilePages * model::kPageSize);
    model::local_dio_read(f, 0, kDioFilePages * model::kPageSize, false);
  });
  s.run();
  s.liveness_phase(w);
}

}  // namespace wbsim::scenarios
