// Stores through a shared mapping against a large folio that reaches past
// the page holding EOF.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "checkers/suite.h"
#include "model/events.h"
#include "model/netfs/netfs.h"
#include "model/netfs/request.h"
#include "model/world.h"
#include "sim_test_util.h"

namespace wbsim {
namespace {

std::vector<std::uint8_t> bytes(std::uint8_t v, std::size_t n) { return std::vector<std::uint8_t>(n, v); }

TEST(NetfsMmap, a_store_to_a_page_wholly_past_eof_is_lost_even_inside_the_eof_folio) {
  std::vector<std::uint8_t> hole;
  std::uint64_t folio_size = 0;
  const auto r = sim::run_simulation(
      test::make_config(1), /*faults=*/false,
      [&](sim::Scheduler& s) {
        checkers::Suite suite(checkers::Options{});
        model::ObserverScope scope(suite.observers());
        model::World w(model::WorldOptions{.flusher = false});
        model::NetfsInode& inode = w.create_file({});
        s.spawn("user", [&] {
          model::NetfsFile f = w.open(inode);
          // One order-1 folio over pages 12 and 13, then EOF at its middle.
          ASSERT_EQ(model::netfs_file_write(f, 49152, bytes(1, 8192), {.max_folio_order = 1}), 8192);
          ASSERT_EQ(model::netfs_truncate(f, 53248), 0);
          const model::Folio* folio = model::filemap_get_folio(inode.mapping, 12);
          ASSERT_NE(folio, nullptr);
          folio_size = folio->size();
          // Page 13 is not mapped: the store to it faults (SIGBUS).
          model::netfs_mmap_write(f, 49152, bytes(0xcc, 8192));
          // Extending the file makes page 13 file data: it must read as zeros.
          ASSERT_EQ(model::netfs_file_write(f, 57344, bytes(2, 4096), {}), 4096);
          ASSERT_EQ(model::netfs_fsync(f), 0);
          hole = w.server().read(inode.ino, 53248, 4096);
        });
        s.run();
      },
      "");
  ASSERT_FALSE(r.finding.has_value()) << r.finding->message;
  ASSERT_EQ(folio_size, 8192u);
  EXPECT_EQ(hole, bytes(0, 4096));
}

}  // namespace
}  // namespace wbsim
