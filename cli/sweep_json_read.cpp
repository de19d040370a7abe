// Reads a sweep's JSON report (cli/sweep_json.h) back, for `wbsim merge`.
// Every field is checked: a report that is not what `wbsim sweep --json`
// writes is a UsageError naming the file and the JSON pointer of the
// culprit (or the parser's line and column).
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/sweep_json.h"

namespace wbsim::cli {

namespace {

using Json = nlohmann::json;

class Reader {
 public:
  explicit Reader(const std::string& path) : path_(path) {}

  [[noreturn]] void fail(const std::string& where, const std::string& what) const {
    throw UsageError(fmt::format("{}: {}: {}", path_, where.empty() ? "/" : where, what));
  }
  const Json& field(const Json& obj, const std::string& where, const char* key) const {
    if (!obj.is_object()) fail(where, "not an object");
    const auto it = obj.find(key);
    if (it == obj.end()) fail(where + "/" + key, "missing");
    return *it;
  }
  std::uint64_t u64(const Json& obj, const std::string& where, const char* key) const {
    const Json& v = field(obj, where, key);
    if (!v.is_number_unsigned()) fail(where + "/" + key, "not a whole number");
    return v.get<std::uint64_t>();
  }
  std::uint32_t u32(const Json& obj, const std::string& where, const char* key) const {
    const std::uint64_t v = u64(obj, where, key);
    if (v > UINT32_MAX) fail(where + "/" + key, "out of range");
    return static_cast<std::uint32_t>(v);
  }
  double number(const Json& obj, const std::string& where, const char* key) const {
    const Json& v = field(obj, where, key);
    if (!v.is_number()) fail(where + "/" + key, "not a number");
    return v.get<double>();
  }
  bool boolean(const Json& obj, const std::string& where, const char* key) const {
    const Json& v = field(obj, where, key);
    if (!v.is_boolean()) fail(where + "/" + key, "not true or false");
    return v.get<bool>();
  }
  std::string string(const Json& obj, const std::string& where, const char* key) const {
    const Json& v = field(obj, where, key);
    if (!v.is_string()) fail(where + "/" + key, "not a string");
    return v.get<std::string>();
  }
  const Json& array(const Json& obj, const std::string& where, const char* key) const {
    const Json& v = field(obj, where, key);
    if (!v.is_array()) fail(where + "/" + key, "not an array");
    return v;
  }
  std::vector<std::string> strings(const Json& obj, const std::string& where, const char* key) const {
    const Json& a = array(obj, where, key);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < a.size(); ++i) {
      if (!a[i].is_string()) fail(fmt::format("{}/{}/{}", where, key, i), "not a string");
      out.push_back(a[i].get<std::string>());
    }
    return out;
  }
  // Hits by this binary's mark index; a mark it does not know is an error
  // (the report comes from another build).
  std::vector<std::uint64_t> marks(const Json& obj, const std::string& where) const {
    const Json& m = field(obj, where, "marks");
    if (!m.is_object()) fail(where + "/marks", "not an object");
    const auto all = sim::coverage_marks();
    std::vector<std::uint64_t> hits(all.size(), 0);
    for (const auto& [name, v] : m.items()) {
      const auto it = std::find_if(all.begin(), all.end(), [&](const auto* mark) { return mark->name() == name; });
      if (it == all.end()) fail(where + "/marks", fmt::format("mark '{}' is unknown to this wbsim", name));
      if (!v.is_number_unsigned()) fail(fmt::format("{}/marks/{}", where, name), "not a whole number");
      hits[static_cast<std::size_t>(it - all.begin())] = v.get<std::uint64_t>();
    }
    return hits;
  }

 private:
  std::string path_;
};

sim::Expect parse_expect(const Reader& r, const Json& obj, const std::string& where) {
  const std::string e = r.string(obj, where, "expect");
  if (e == "pass") return sim::Expect::pass;
  if (e == "fail_always") return sim::Expect::fail_always;
  if (e == "fail_sometimes") return sim::Expect::fail_sometimes;
  r.fail(where + "/expect", fmt::format("'{}' is not pass, fail_always or fail_sometimes", e));
}

sim::TargetSummary read_target(const Reader& r, const Json& j, const std::string& where) {
  sim::TargetSummary t;
  t.name = r.string(j, where, "name");
  t.expect = parse_expect(r, j, where);
  t.expect_checker = r.string(j, where, "expect_checker");
  t.seeds_run = r.u64(j, where, "seeds");
  t.unexpected = r.u64(j, where, "failures");
  t.expected_hits = r.u64(j, where, "expected");
  t.steps = r.u64(j, where, "steps");
  t.busy_seconds = r.number(j, where, "busy_seconds");
  t.known = r.u64(j, where, "known");
  const Json& pinned = r.field(j, where, "pinned");
  if (!pinned.is_object()) r.fail(where + "/pinned", "not an object");
  for (const auto& [name, v] : pinned.items()) {
    const std::string at = fmt::format("{}/pinned/{}", where, name);
    t.known_by_finding[name] = {r.u64(v, at, "seeds"), r.u64(v, at, "first_seed")};
  }
  t.passed = r.boolean(j, where, "passed");
  t.deferred = r.boolean(j, where, "deferred");
  t.verdict = r.string(j, where, "verdict");
  t.mark_hits = r.marks(j, where);
  return t;
}

FailureLine read_failure(const Reader& r, const Json& j, const std::string& where) {
  FailureLine f;
  f.scenario = r.string(j, where, "scenario");
  f.seed = r.u64(j, where, "seed");
  f.shape = r.string(j, where, "shape");
  f.group_seeds = r.u64(j, where, "group_seeds");
  f.first_seed = r.u64(j, where, "first_seed");
  f.steps = r.u64(j, where, "steps");
  f.checker = r.string(j, where, "checker");
  f.message = r.string(j, where, "message");
  f.file = r.string(j, where, "file");
  f.reproduce = r.string(j, where, "reproduce");
  f.shrunk_steps = r.u64(j, where, "shrunk_steps");
  f.shrunk_scenario = r.string(j, where, "shrunk_scenario");
  const Json& shard = r.field(j, where, "shard");
  f.shard_index = r.u32(shard, where + "/shard", "index");
  f.shard_count = r.u32(shard, where + "/shard", "count");
  if (f.shard_count == 0 || f.shard_index >= f.shard_count)
    r.fail(where + "/shard", fmt::format("{}/{} is not a shard", f.shard_index, f.shard_count));
  if (f.group_seeds == 0) r.fail(where + "/group_seeds", "must be at least 1");
  if (f.first_seed > f.seed) r.fail(where + "/first_seed", "after the group's kept seed");
  return f;
}

SweepIdentity read_identity(const Reader& r, const Json& j) {
  SweepIdentity id;
  id.wbsim_version = r.string(j, "", "wbsim_version");
  id.commit = r.string(j, "", "commit");
  id.strategy = r.string(j, "", "strategy");
  id.seeds = r.u64(j, "", "seeds_per_scenario");
  id.seed_base = r.u64(j, "", "seed_base");
  const Json& shard = r.field(j, "", "shard");
  id.shard_index = r.u32(shard, "/shard", "index");
  id.shard_count = r.u32(shard, "/shard", "count");
  // The bound of --shard (cli/args.cpp): the merge sizes a table by it.
  if (id.shard_count == 0 || id.shard_count > 1'000'000 || id.shard_index >= id.shard_count)
    r.fail("/shard", fmt::format("{}/{} is not a shard", id.shard_index, id.shard_count));
  id.bugs = r.strings(j, "", "bugs");
  id.require_coverage = r.boolean(j, "", "require_coverage");
  id.fault_sites = r.string(j, "", "fault_sites");
  id.params = r.strings(j, "", "params");
  return id;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw UsageError(fmt::format("{}: cannot read: {}", path, std::strerror(errno)));
  return text.str();
}

}  // namespace

SweepOutcome read_sweep_json(const std::string& path) {
  const Reader r(path);
  Json j;
  try {
    j = Json::parse(read_text(path));
  } catch (const Json::parse_error& e) {
    // e.what() names the line and column.
    throw UsageError(fmt::format("{}: not JSON: {}", path, e.what()));
  }
  if (!j.is_object()) r.fail("", "not a JSON object");
  const std::string format = r.string(j, "", "format");
  if (format != "wbsim-sweep-report 1")
    r.fail("/format", fmt::format("'{}' is not a wbsim sweep report this wbsim reads", format));
  SweepOutcome o;
  o.identity = read_identity(r, j);
  const Json& scenarios = r.array(j, "", "scenarios");
  for (std::size_t i = 0; i < scenarios.size(); ++i) {
    o.report.targets.push_back(read_target(r, scenarios[i], fmt::format("/scenarios/{}", i)));
    o.identity.scenarios.push_back(o.report.targets.back().name);
  }
  const Json& failures = r.array(j, "", "failures");
  for (std::size_t i = 0; i < failures.size(); ++i) {
    const std::string where = fmt::format("/failures/{}", i);
    o.failures.push_back(read_failure(r, failures[i], where));
    const auto& names = o.identity.scenarios;
    if (std::find(names.begin(), names.end(), o.failures.back().scenario) == names.end())
      r.fail(where + "/scenario", fmt::format("'{}' is not one of the report's scenarios", o.failures.back().scenario));
  }
  o.report.mark_hits.assign(sim::coverage_marks().size(), 0);
  for (const sim::TargetSummary& t : o.report.targets) {
    for (std::size_t m = 0; m < t.mark_hits.size(); ++m) o.report.mark_hits[m] += t.mark_hits[m];
  }
  o.report.rechecked = r.u64(j, "", "rechecked");
  o.time_limit_seconds = r.number(j, "", "time_limit_seconds");
  o.report.time_limited = r.boolean(j, "", "time_limited");
  o.report.wall_seconds = r.number(j, "", "wall_seconds");
  const Json& m = r.field(j, "", "determinism_mismatch");
  if (!m.is_null()) {
    const std::string at = "/determinism_mismatch";
    o.report.mismatch = sim::DeterminismMismatch{r.string(m, at, "scenario"), r.u64(m, at, "seed"),
                                                 r.u64(m, at, "first_hash"), r.u64(m, at, "second_hash"),
                                                 r.string(m, at, "first_difference")};
  }
  return o;
}

}  // namespace wbsim::cli
