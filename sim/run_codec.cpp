#include "sim/run_codec.h"

#include <cstring>

namespace wbsim::sim {

namespace {

// Fixed-width little-endian numbers and length-prefixed strings: both ends
// are the same binary, so no versioning is needed.
class Writer {
 public:
  void u64(std::uint64_t v) { out_.append(reinterpret_cast<const char*>(&v), sizeof v); }
  void str(std::string_view s) {
    u64(s.size());
    out_.append(s);
  }
  void strings(const std::vector<std::string>& v) {
    u64(v.size());
    for (const std::string& s : v) str(s);
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool u64(std::uint64_t* v) {
    if (in_.size() < sizeof *v) return false;
    std::memcpy(v, in_.data(), sizeof *v);
    in_.remove_prefix(sizeof *v);
    return true;
  }
  bool str(std::string* s) {
    std::uint64_t n = 0;
    if (!u64(&n) || n > in_.size()) return false;
    s->assign(in_.substr(0, n));
    in_.remove_prefix(n);
    return true;
  }
  bool strings(std::vector<std::string>* v) {
    std::uint64_t n = 0;
    if (!u64(&n) || n > in_.size()) return false;  // every string takes at least 8 bytes
    v->resize(n);
    for (std::string& s : *v) {
      if (!str(&s)) return false;
    }
    return true;
  }
  bool at_end() const { return in_.empty(); }

 private:
  std::string_view in_;
};

void encode_finding(Writer& w, const Finding& f) {
  w.str(f.checker);
  w.str(f.message);
  w.str(f.details);
  w.str(f.where);
  w.str(f.scenario_where);
  w.u64(f.time);
  w.u64(f.step);
  w.u64(f.fiber);
  w.str(f.fiber_name);
}

bool decode_finding(Reader& r, Finding* f) {
  std::uint64_t fiber = 0;
  const bool ok = r.str(&f->checker) && r.str(&f->message) && r.str(&f->details) && r.str(&f->where) &&
                  r.str(&f->scenario_where) && r.u64(&f->time) && r.u64(&f->step) && r.u64(&fiber) &&
                  r.str(&f->fiber_name);
  f->fiber = static_cast<FiberId>(fiber);
  return ok;
}

}  // namespace

std::string encode_run(const RunResult& r) {
  Writer w;
  w.u64(r.finding ? 1 : 0);
  if (r.finding) encode_finding(w, *r.finding);
  w.u64(r.steps);
  w.u64(r.switches);
  w.u64(r.time);
  w.u64(r.trace_hash);
  w.u64(r.trace_lines);
  w.str(r.tape.encode());
  w.str(r.fault_header);
  w.strings(r.trace_tail);
  w.strings(r.trace_all);
  w.u64(r.fibers);
  w.u64(r.fault_sites_on);
  w.u64(r.faults_fired);
  w.u64(r.mark_hits.size());
  for (const std::uint64_t h : r.mark_hits) w.u64(h);
  return w.take();
}

bool decode_run(std::string_view bytes, RunResult* out) {
  Reader r(bytes);
  RunResult res;
  std::uint64_t has_finding = 0;
  if (!r.u64(&has_finding) || has_finding > 1) return false;
  if (has_finding == 1 && !decode_finding(r, &res.finding.emplace())) return false;
  std::string tape;
  std::uint64_t fibers = 0, sites_on = 0, marks = 0;
  if (!r.u64(&res.steps) || !r.u64(&res.switches) || !r.u64(&res.time) || !r.u64(&res.trace_hash) ||
      !r.u64(&res.trace_lines) || !r.str(&tape) || !r.str(&res.fault_header) || !r.strings(&res.trace_tail) ||
      !r.strings(&res.trace_all) || !r.u64(&fibers) || !r.u64(&sites_on) || !r.u64(&res.faults_fired) ||
      !r.u64(&marks) || marks > bytes.size()) {
    return false;
  }
  res.fibers = fibers;
  res.fault_sites_on = sites_on;
  res.mark_hits.resize(marks);
  for (std::uint64_t& h : res.mark_hits) {
    if (!r.u64(&h)) return false;
  }
  std::string error;
  auto decoded = Tape::decode(tape, &error);
  if (!decoded || !r.at_end()) return false;
  res.tape = std::move(*decoded);
  *out = std::move(res);
  return true;
}

}  // namespace wbsim::sim
