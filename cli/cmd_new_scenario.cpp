// `wbsim new-scenario NAME [--netfs|--fuse|--sim] [-o FILE]`: a commented
// skeleton that compiles and passes as it is, to be run with
// `wbsim run --script FILE NAME` and edited from there (docs/scenarios.md).
#include <cctype>
#include <filesystem>
#include <string_view>

#include <fmt/format.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "sim/atomic_file.h"

namespace wbsim::cli {

namespace {

constexpr std::string_view kHeader = R"(// Why: <the bug class or the invariant this scenario guards>
// How: <the workload, the faults, and what must hold>
//
// Run it:   wbsim run --script {file} {name} --seed 1
// Sweep it: wbsim sweep --script {file} --seeds 200
// Put a known bug back with --bug NAME (wbsim bugs) and check that a
// checker fires: a scenario that cannot fail proves nothing.
)";

// The World is the kernel around the files: page cache, flusher, a remote
// server and a local cache. Every checker watches the run; the scenario
// only drives the application.
constexpr std::string_view kNetfs = R"(#include "scenarios/netfs_support.h"

namespace {{

using namespace wbsim;

WBSIM_SCENARIO({ident}, "{name}", .why = "<one line for wbsim list --long>") {{
  // Writeback starts early (four dirty pages), so it races the writer.
  model::World w({{.background_thresh_pages = 4}});
  model::NetfsInode& inode = w.create_file();
  s.spawn("writer", [&] {{
    model::NetfsFile f = w.open(inode);
    // Values come from sim::draw(n) (0 .. n-1, from the seed), never
    // from rand() or the clock: a seed must replay bit for bit.
    for (std::uint32_t i = 0; i < 4; ++i) {{
      const auto pos = static_cast<model::loff_t>(sim::draw(4) * 4096 + sim::draw(100));
      scenarios::write_all(f, pos, scenarios::pattern(i, 1 + sim::draw(6000)), {{}});
    }}
    // The data must reach the server; a failed upload is fsync's error.
    model::netfs_fsync(f);
  }});
  s.run();               // one phase, until every fiber is done or blocked
  s.liveness_phase(w);   // faults healed, files synced, then every checker's verdict
}}

}}  // namespace
)";

constexpr std::string_view kFuse = R"(#include "scenarios/fuse_support.h"

namespace {{

using namespace wbsim;

WBSIM_SCENARIO({ident}, "{name}", .why = "<one line for wbsim list --long>") {{
  model::World w({{.background_thresh_pages = 2, .dirty_thresh_pages = 64}});
  // A FUSE connection with a server of one or two threads.
  model::FuseConn fc(w, {{.server_threads = 1 + sim::draw(2)}});
  model::FuseInode& inode = fc.create_file();
  s.spawn("writer", [&] {{
    fc.write(inode, 0, scenarios::pattern(1, 4096 * (1 + sim::draw(4))));
    fc.write(inode, sim::draw(4096), scenarios::pattern(2, 1 + sim::draw(5000)));
    // fsync must not return 0 before the server has the data.
    const int err = fc.fsync(inode);
    SIM_CHECK("error-propagation", err == 0, "fsync returned {{}} with a healthy server", err);
  }});
  s.run();
  s.liveness_phase(w);
}}

}}  // namespace
)";

// The runtime alone: fibers, locks, wait queues, virtual time, faults.
constexpr std::string_view kSim = R"(#include "scenarios/registry.h"
#include "sim/assert.h"
#include "sim/fault.h"
#include "sim/mutex.h"

namespace {{

using namespace wbsim;

// A fault site of this scenario: the swarm draw switches it on for some
// seeds, and then sim::fault() says yes at some of its calls.
WBSIM_FAULT_SITE(kSlowWorker, "{name_dots}.slow_worker", "a worker sleeps inside the lock");

WBSIM_SCENARIO({ident}, "{name}", .why = "<one line for wbsim list --long>") {{
  sim::Mutex lock{{"counter_lock"}};
  int counter = 0;
  for (int i = 0; i < 3; ++i) {{
    s.spawn("worker", [&] {{
      for (int k = 0; k < 5; ++k) {{
        sim::MutexGuard g(lock);
        const int seen = counter;
        if (sim::fault(kSlowWorker)) sim::sleep(sim::draw(10) * sim::kMs);
        counter = seen + 1;  // lost updates if the lock did not hold
      }}
    }});
  }}
  s.run();
  SIM_ASSERT_CMP(counter, ==, 15);  // checked on the host after the phase
}}

}}  // namespace
)";

// A C++ identifier from the scenario's name: "my/first-one" -> my_first_one.
std::string identifier(const std::string& name) {
  std::string out;
  for (char c : name) out += (std::isalnum(static_cast<unsigned char>(c)) != 0) ? c : '_';
  if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0])) != 0) out.insert(0, "scenario_");
  return out;
}

}  // namespace

int cmd_new_scenario(const NewScenarioArgs& args) {
  const std::string& name = args.name;
  const bool valid = !name.empty() && name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-/.") ==
                                           std::string::npos && name.front() != '/' && name.back() != '/';
  if (!valid)
    throw UsageError(fmt::format("new-scenario '{}': a name is lower-case letters, digits, '_', '-', '.' and "
                                 "'/' between parts, e.g. mine/overwrite",
                                 name));
  std::string file = args.out;
  if (file.empty()) file = identifier(name.substr(name.rfind('/') + 1)) + ".cpp";
  std::error_code ec;
  if (std::filesystem::exists(file, ec))
    throw UsageError(fmt::format("new-scenario: '{}' exists already (-o FILE writes elsewhere)", file));
  std::string name_dots = name;
  for (char& c : name_dots) {
    if (c == '/') c = '.';
  }
  const std::string_view body = args.kind == "fuse" ? kFuse : args.kind == "sim" ? kSim : kNetfs;
  const std::string text =
      fmt::format(fmt::runtime(kHeader), fmt::arg("file", file), fmt::arg("name", name)) + "\n" +
      fmt::format(fmt::runtime(body), fmt::arg("ident", identifier(name)), fmt::arg("name", name),
                  fmt::arg("name_dots", name_dots));
  write_file_atomically(file, text);
  fmt::print("wrote {} ({} scenario {})\nrun it: {} run --script {} {} --seed 1\n", file, args.kind, name, program(),
             file, name);
  return kPass;
}

}  // namespace wbsim::cli
