#include "cli/chrome_trace.h"

#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/trace_reasons.h"
#include "sim/coverage.h"
#include "sim/fault.h"
#include "sim/trace.h"

namespace wbsim::cli {

namespace {

using Json = nlohmann::ordered_json;  // keys in insertion order: the same run, the same bytes
using model::Ev;
using sim::Reason;

constexpr int kPid = 1;

double micros(sim::Time ns) { return static_cast<double>(ns) / 1000.0; }

std::string trimmed_symbol(std::uint16_t reason) {
  std::string s = sim::reason_symbol(reason);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

bool is(std::uint16_t reason, Ev e) { return reason == static_cast<std::uint16_t>(e); }
bool is(std::uint16_t reason, Reason r) { return reason == static_cast<std::uint16_t>(r); }

// A netfs subrequest's id in the trace: request << 16 | index << 4 | stream.
std::string subrequest_name(std::uint64_t a) {
  return fmt::format("R{}[{}]", a >> 16, (a >> 4) & 0xfff);
}
const char* stream_track(std::uint64_t a) { return (a & 0xf) == 0 ? "upload stream" : "cache stream"; }

class Builder {
 public:
  Builder(const sim::RunResult& r, const std::string& title) : r_(r) {
    events_ = Json::array();
    events_.push_back(Json{{"ph", "M"}, {"name", "process_name"}, {"pid", kPid}, {"args", {{"name", title}}}});
    for (const auto& [id, name] : r.fiber_names)
      events_.push_back(Json{{"ph", "M"}, {"name", "thread_name"}, {"pid", kPid}, {"tid", id},
                             {"args", {{"name", fmt::format("{}:{}", id, name)}}}});
  }

  std::string finish() {
    // Close what the run left open, at its last timestamp, so every begin
    // has its end.
    for (const auto& [key, open] : async_) end_async(std::get<0>(key), std::get<1>(key), last_ts_, open.name, "unfinished");
    for (const auto& [fiber, since] : blocked_) slice(fiber, since.ts, last_ts_, "blocked on " + since.object, "wait");
    Json doc{{"traceEvents", events_}, {"displayTimeUnit", "ns"}};
    return doc.dump(1) + "\n";
  }

  void add(const sim::TraceRecord& t) {
    const double ts = micros(t.time);
    last_ts_ = ts;
    if (t.fiber != sim::kNoFiber) {
      // The fiber runs again: the time it was blocked is a slice.
      if (const auto it = blocked_.find(t.fiber); it != blocked_.end()) {
        slice(t.fiber, it->second.ts, ts, "blocked on " + it->second.object, "wait");
        blocked_.erase(it);
      }
    }
    if (is(t.reason, Reason::block) && t.fiber != sim::kNoFiber) {
      blocked_[t.fiber] = {ts, object(t.object)};
      return;
    }
    if (is(t.reason, Reason::fault)) {
      const std::string site = t.a < sim::fault_sites().size() ? sim::fault_sites()[t.a]->name() : "?";
      events_.push_back(Json{{"ph", "i"}, {"s", "g"}, {"name", "FAULT " + site}, {"cat", "fault"}, {"pid", kPid},
                             {"tid", tid(t)}, {"ts", ts}, {"args", {{"step", t.step}}}});
      return;
    }
    if (model_span(t, ts)) return;
    Json args{{"step", t.step}, {"object", object(t.object)}, {"a", t.a}, {"b", t.b}};
    if (is(t.reason, Reason::mark) && t.a < sim::coverage_marks().size()) args["mark"] = sim::coverage_marks()[t.a]->name();
    events_.push_back(Json{{"ph", "i"}, {"s", "t"}, {"name", trimmed_symbol(t.reason)}, {"cat", "trace"},
                           {"pid", kPid}, {"tid", tid(t)}, {"ts", ts}, {"args", args}});
  }

 private:
  struct Open {
    double ts = 0;
    std::string name;
  };
  struct Blocked {
    double ts = 0;
    std::string object;
  };

  static std::uint32_t tid(const sim::TraceRecord& t) { return t.fiber == sim::kNoFiber ? 0 : t.fiber; }

  std::string object(sim::ObjectId id) const {
    if (id == sim::kNoObject) return "-";
    const auto it = r_.object_names.find(id);
    return it == r_.object_names.end() ? fmt::format("#{}", id) : it->second;
  }

  void slice(std::uint32_t fiber, double from, double to, const std::string& name, const char* cat) {
    events_.push_back(Json{{"ph", "X"}, {"name", name}, {"cat", cat}, {"pid", kPid}, {"tid", fiber}, {"ts", from},
                           {"dur", to - from}});
  }

  void begin_async(const std::string& cat, std::uint64_t id, double ts, const std::string& name, const Json& args) {
    const auto key = std::make_tuple(cat, id);
    if (async_.count(key) != 0) end_async(cat, id, ts, async_[key].name, "superseded");
    async_[key] = {ts, name};
    events_.push_back(Json{{"ph", "b"}, {"name", name}, {"cat", cat}, {"id", fmt::format("{:#x}", id)}, {"pid", kPid},
                           {"ts", ts}, {"args", args}});
  }

  void end_async(const std::string& cat, std::uint64_t id, double ts, const std::string& name, const std::string& how) {
    events_.push_back(Json{{"ph", "e"}, {"name", name}, {"cat", cat}, {"id", fmt::format("{:#x}", id)}, {"pid", kPid},
                           {"ts", ts}, {"args", {{"end", how}}}});
  }

  void end_async_if_open(const std::string& cat, std::uint64_t id, double ts, const std::string& how) {
    const auto it = async_.find(std::make_tuple(cat, id));
    if (it == async_.end()) return;
    end_async(cat, id, ts, it->second.name, how);
    async_.erase(it);
  }

  // Spans the model's trace lines open and close: netfs subrequests (issued
  // to terminated), folio writeback, dm-ploop requests.
  bool model_span(const sim::TraceRecord& t, double ts) {
    if (is(t.reason, Ev::sreq_submit)) {
      begin_async(stream_track(t.a), t.a, ts, subrequest_name(t.a),
                  Json{{"step", t.step}, {"len", t.b}, {"fiber", tid(t)}});
      return true;
    }
    if (is(t.reason, Ev::sreq_terminated)) {
      const auto err = static_cast<std::int64_t>(t.b);
      end_async_if_open(stream_track(t.a), t.a, ts, err < 0 ? fmt::format("error {}", err) : fmt::format("{} bytes", t.b));
      return false;  // also an instant event: what it returned
    }
    if (is(t.reason, Ev::folio_start_wb)) {
      begin_async("folio writeback", std::uint64_t{t.object} << 32 | t.a, ts, fmt::format("folio {}", t.a),
                  Json{{"step", t.step}, {"mapping", object(t.object)}});
      return true;
    }
    if (is(t.reason, Ev::folio_end_wb)) {
      end_async_if_open("folio writeback", std::uint64_t{t.object} << 32 | t.a, ts, "end_writeback");
      return true;
    }
    if (is(t.reason, Ev::ploop_rq)) {
      if (t.b < 1000) {
        begin_async("ploop requests", t.a, ts, fmt::format("rq{} op {}", t.a, t.b), Json{{"step", t.step}});
      } else {
        end_async_if_open("ploop requests", t.a, ts, fmt::format("status {}", t.b - 1000));
      }
      return true;
    }
    return false;
  }

  const sim::RunResult& r_;
  Json events_;
  std::map<std::tuple<std::string, std::uint64_t>, Open> async_;
  std::map<std::uint32_t, Blocked> blocked_;
  double last_ts_ = 0;
};

}  // namespace

std::string chrome_trace_json(const sim::RunResult& r, const std::string& title) {
  Builder b(r, title);
  for (const sim::TraceRecord& t : r.trace_records) b.add(t);
  return b.finish();
}

}  // namespace wbsim::cli
