// The pictures of a run: the Chrome trace-event JSON checked against the
// trace-event format (the phases, the fields each needs, begin/end pairs),
// and `wbsim draw`'s ASCII and SVG (well-formed XML) for a netfs run.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/chrome_trace.h"
#include "cli/picture.h"
#include "scenarios/registry.h"

namespace wbsim {
namespace {

sim::RunResult run_with_trace(const std::string& name, std::uint64_t seed) {
  const scenarios::Scenario* s = scenarios::find_scenario(name);
  EXPECT_NE(s, nullptr) << name;
  scenarios::RunRequest req;
  req.seed = seed;
  req.keep_full_trace = true;
  return scenarios::run_scenario(*s, req);
}

// The Trace Event Format (the JSON Object Format): every event's phase and
// the fields that phase requires; async begins ('b') closed by ends ('e')
// of the same category and id, not before they began.
std::vector<std::string> trace_event_format_errors(const nlohmann::json& doc) {
  std::vector<std::string> errors;
  auto bad = [&](std::size_t i, const std::string& what) { errors.push_back("event " + std::to_string(i) + ": " + what); };
  if (!doc.is_object() || !doc.contains("traceEvents") || !doc["traceEvents"].is_array()) return {"no traceEvents array"};
  if (doc.contains("displayTimeUnit") && doc["displayTimeUnit"] != "ms" && doc["displayTimeUnit"] != "ns")
    errors.push_back("displayTimeUnit is neither ms nor ns");
  const std::string phases = "BEXiIbenMCsftPONDRc";
  std::map<std::tuple<std::string, std::string>, std::vector<double>> open;
  std::size_t i = 0;
  for (const auto& e : doc["traceEvents"]) {
    ++i;
    if (!e.is_object()) {
      bad(i, "not an object");
      continue;
    }
    if (!e.contains("ph") || !e["ph"].is_string() || e["ph"].get<std::string>().size() != 1 ||
        phases.find(e["ph"].get<std::string>()) == std::string::npos) {
      bad(i, "bad ph");
      continue;
    }
    const char ph = e["ph"].get<std::string>()[0];
    if (!e.contains("name") || !e["name"].is_string()) bad(i, "no name");
    if (!e.contains("pid") || !e["pid"].is_number_integer()) bad(i, "no integer pid");
    if (ph == 'M') {
      if (!e.contains("args") || !e["args"].contains("name") || !e["args"]["name"].is_string()) bad(i, "metadata without args.name");
      continue;
    }
    if (!e.contains("ts") || !e["ts"].is_number() || e["ts"].get<double>() < 0) bad(i, "no ts");
    if ((ph == 'X' || ph == 'B' || ph == 'E' || ph == 'i') && (!e.contains("tid") || !e["tid"].is_number_integer()))
      bad(i, "no integer tid");
    if (ph == 'X' && (!e.contains("dur") || !e["dur"].is_number() || e["dur"].get<double>() < 0)) bad(i, "X without dur");
    if (ph == 'i' && e.contains("s") && e["s"] != "g" && e["s"] != "p" && e["s"] != "t") bad(i, "bad instant scope");
    if (ph == 'b' || ph == 'e') {
      if (!e.contains("cat") || !e["cat"].is_string() || !e.contains("id")) {
        bad(i, "async event without cat or id");
        continue;
      }
      const auto key = std::make_tuple(e["cat"].get<std::string>(), e["id"].dump());
      if (ph == 'b') {
        open[key].push_back(e["ts"].get<double>());
      } else if (open[key].empty()) {
        bad(i, "end without begin");
      } else {
        if (e["ts"].get<double>() < open[key].back()) bad(i, "ends before it begins");
        open[key].pop_back();
      }
    }
  }
  for (const auto& [key, begins] : open)
    if (!begins.empty()) errors.push_back("async " + std::get<0>(key) + " " + std::get<1>(key) + " never ends");
  return errors;
}

TEST(ChromeTrace, a_netfs_run_is_valid_trace_event_json_with_fibers_subrequests_and_writeback) {
  const sim::RunResult r = run_with_trace("netfs/both_streams_gaps", 3);
  ASSERT_FALSE(r.trace_records.empty());
  const std::string text = cli::chrome_trace_json(r, "netfs/both_streams_gaps seed 3");
  const nlohmann::json doc = nlohmann::json::parse(text);
  const auto errors = trace_event_format_errors(doc);
  EXPECT_TRUE(errors.empty()) << errors.front();
  std::set<std::string> cats;
  std::size_t threads = 0, blocked = 0;
  for (const auto& e : doc["traceEvents"]) {
    if (e["ph"] == "b") cats.insert(e["cat"].get<std::string>());
    if (e["ph"] == "M" && e["name"] == "thread_name") ++threads;
    if (e["ph"] == "X") ++blocked;
  }
  EXPECT_TRUE(cats.count("upload stream") && cats.count("cache stream") && cats.count("folio writeback"));
  EXPECT_GE(threads, 2u);
  EXPECT_GE(blocked, 1u);
  // The same run gives the same bytes.
  EXPECT_EQ(cli::chrome_trace_json(run_with_trace("netfs/both_streams_gaps", 3), "netfs/both_streams_gaps seed 3"), text);
}

TEST(ChromeTrace, the_format_check_rejects_what_viewers_reject) {
  EXPECT_FALSE(trace_event_format_errors(nlohmann::json::parse(R"({"traceEvents":[{"ph":"b","name":"x","pid":1,"ts":1,"cat":"c","id":"0x1"}]})")).empty());
  EXPECT_FALSE(trace_event_format_errors(nlohmann::json::parse(R"({"traceEvents":[{"ph":"X","name":"x","pid":1,"tid":1,"ts":1}]})")).empty());
  EXPECT_FALSE(trace_event_format_errors(nlohmann::json::parse(R"({"traceEvents":[{"ph":"Q","name":"x","pid":1,"ts":1}]})")).empty());
  EXPECT_TRUE(trace_event_format_errors(nlohmann::json::parse(R"({"traceEvents":[{"ph":"X","name":"x","pid":1,"tid":1,"ts":1,"dur":2}]})")).empty());
}

// Well-formed XML, as far as this SVG goes: one declaration, tags that nest
// and close, quoted attributes, no bare '<' or '&' in text.
bool well_formed_xml(const std::string& s, std::string* why) {
  std::vector<std::string> stack;
  std::size_t i = 0;
  if (s.rfind("<?xml", 0) != 0) return *why = "no XML declaration", false;
  i = s.find("?>") + 2;
  while (i < s.size()) {
    if (s[i] == '&') {
      const std::size_t semi = s.find(';', i);
      if (semi == std::string::npos || semi - i > 6) return *why = "bare &", false;
      i = semi + 1;
      continue;
    }
    if (s[i] != '<') {
      ++i;
      continue;
    }
    const std::size_t end = s.find('>', i);
    if (end == std::string::npos) return *why = "unclosed tag", false;
    std::string tag = s.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty()) return *why = "empty tag", false;
    if (std::count(tag.begin(), tag.end(), '"') % 2 != 0) return *why = "unbalanced quotes in <" + tag + ">", false;
    if (tag[0] == '/') {
      if (stack.empty() || stack.back() != tag.substr(1)) return *why = "mismatched </" + tag.substr(1) + ">", false;
      stack.pop_back();
      continue;
    }
    const bool self_closing = tag.back() == '/';
    const std::string name = tag.substr(0, tag.find_first_of(" /"));
    if (!self_closing) stack.push_back(name);
  }
  if (!stack.empty()) return *why = "<" + stack.back() + "> never closed", false;
  return true;
}

TEST(Draw, a_netfs_run_is_drawn_as_folios_over_its_two_streams_in_ascii_and_svg) {
  const sim::RunResult r = run_with_trace("netfs/both_streams_gaps", 3);
  // Somewhere in the run a subrequest is in flight while folios are under
  // writeback: find that step and draw it.
  std::uint64_t step = 0;
  for (const sim::TraceRecord& t : r.trace_records) {
    const cli::Picture p = cli::picture_at(r, t.step);
    bool in_flight = false, writeback = false;
    for (const auto& s : p.subreqs) in_flight |= s.state == cli::Picture::SubreqState::in_flight;
    for (const auto& m : p.mappings)
      for (const auto& f : m.folios) writeback |= f.writeback;
    if (in_flight && writeback) {
      step = t.step;
      break;
    }
  }
  ASSERT_NE(step, 0u) << "no step with a subrequest in flight over folios under writeback";
  const cli::Picture p = cli::picture_at(r, step);
  const std::string ascii = cli::picture_ascii(p);
  EXPECT_NE(ascii.find("Folios:"), std::string::npos) << ascii;
  EXPECT_NE(ascii.find("Upload:"), std::string::npos) << ascii;
  EXPECT_NE(ascii.find('#'), std::string::npos) << ascii;
  EXPECT_NE(ascii.find('W'), std::string::npos) << ascii;
  std::string why;
  const std::string svg = cli::picture_svg(p);
  EXPECT_TRUE(well_formed_xml(svg, &why)) << why;
  EXPECT_NE(svg.find("<rect"), std::string::npos);
  EXPECT_FALSE(well_formed_xml(svg.substr(0, svg.size() - 8), &why));  // cut short: caught
}

}  // namespace
}  // namespace wbsim
