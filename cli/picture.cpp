#include "cli/picture.h"

#include <algorithm>
#include <map>
#include <string>

#include <fmt/format.h>

#include "model/trace_reasons.h"

namespace wbsim::cli {

namespace {

using model::Ev;

constexpr std::uint64_t kPage = 4096;
constexpr int kColumns = 72;  // the ASCII picture's width between the row labels and the end

bool is(std::uint16_t reason, Ev e) { return reason == static_cast<std::uint16_t>(e); }

struct Span {
  std::uint64_t lo = UINT64_MAX;
  std::uint64_t hi = 0;
  void add(std::uint64_t from, std::uint64_t to) {
    lo = std::min(lo, from);
    hi = std::max(hi, to);
  }
  bool empty() const { return lo >= hi; }
};

Span span_of(const Picture& p) {
  Span s;
  for (const Picture::Mapping& m : p.mappings)
    for (const Picture::Folio& f : m.folios) s.add(f.index * kPage, (f.index + (1u << f.order)) * kPage);
  for (const Picture::Subreq& r : p.subreqs) s.add(r.start, r.start + std::max<std::uint64_t>(r.len, 1));
  return s;
}

char folio_fill(const Picture::Folio& f) {
  if (f.dirty && f.writeback) return 'B';
  if (f.dirty) return 'D';
  if (f.writeback) return 'W';
  return ' ';
}

char subreq_fill(Picture::SubreqState s) {
  switch (s) {
    case Picture::SubreqState::prepared: return '.';
    case Picture::SubreqState::in_flight: return '#';
    case Picture::SubreqState::done: return '=';
    case Picture::SubreqState::failed: return '!';
  }
  return '?';
}

// One row: boxes [from, to) drawn with '|' edges and a fill.
class Row {
 public:
  Row(const Span& span) : span_(span), cells_(kColumns + 1, ' ') {}
  void box(std::uint64_t from, std::uint64_t to, char fill) {
    const int a = col(from), b = std::max(col(to), a + 1);
    for (int c = a + 1; c < b; ++c) cells_[c] = fill;
    cells_[a] = '|';
    cells_[b] = '|';
  }
  std::string str() const {
    std::string s(cells_.begin(), cells_.end());
    while (!s.empty() && s.back() == ' ') s.pop_back();
    return s;
  }

 private:
  int col(std::uint64_t x) const {
    return static_cast<int>((x - span_.lo) * kColumns / (span_.hi - span_.lo));
  }
  Span span_;
  std::vector<char> cells_;
};

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

const char* folio_colour(const Picture::Folio& f) {
  if (f.dirty && f.writeback) return "#e76f51";
  if (f.dirty) return "#f4a261";
  if (f.writeback) return "#2a9d8f";
  return "#e9ecef";
}

const char* subreq_colour(Picture::SubreqState s) {
  switch (s) {
    case Picture::SubreqState::prepared: return "#ffffff";
    case Picture::SubreqState::in_flight: return "#457b9d";
    case Picture::SubreqState::done: return "#a8dadc";
    case Picture::SubreqState::failed: return "#e63946";
  }
  return "#000000";
}

}  // namespace

Picture picture_at(const sim::RunResult& r, std::uint64_t step) {
  Picture p;
  std::map<sim::ObjectId, std::map<std::uint64_t, Picture::Folio>> folios;
  std::map<std::uint64_t, std::map<std::uint64_t, Picture::Subreq>> requests;  // request -> (stream<<32|index) -> subreq
  std::uint64_t latest = 0;
  for (const sim::TraceRecord& t : r.trace_records) {
    if (step != 0 && t.step > step) break;
    p.step = t.step;
    p.time = t.time;
    const std::uint16_t e = t.reason;
    if (is(e, Ev::folio_add)) {
      folios[t.object][t.a] = {t.a, static_cast<unsigned>(t.b), false, false};
    } else if (is(e, Ev::folio_remove)) {
      folios[t.object].erase(t.a);
    } else if (is(e, Ev::folio_dirty) || is(e, Ev::folio_redirty)) {
      folios[t.object][t.a].index = t.a;
      folios[t.object][t.a].dirty = true;
    } else if (is(e, Ev::folio_clear_dirty)) {
      folios[t.object][t.a].index = t.a;
      folios[t.object][t.a].dirty = false;
    } else if (is(e, Ev::folio_start_wb) || is(e, Ev::folio_end_wb)) {
      folios[t.object][t.a].index = t.a;
      folios[t.object][t.a].writeback = is(e, Ev::folio_start_wb);
    } else if (is(e, Ev::sreq_prepare) || is(e, Ev::sreq_retry) || is(e, Ev::sreq_submit) ||
               is(e, Ev::sreq_terminated) || is(e, Ev::sreq_discard)) {
      const std::uint64_t req = t.a >> 16;
      const auto stream = static_cast<unsigned>(t.a & 0xf);
      const auto index = static_cast<unsigned>((t.a >> 4) & 0xfff);
      Picture::Subreq& s = requests[req][std::uint64_t{stream} << 32 | index];
      s.index = index;
      s.stream = stream;
      latest = req;
      if (is(e, Ev::sreq_prepare) || is(e, Ev::sreq_retry)) {
        s.start = t.b;
        s.state = Picture::SubreqState::prepared;
      } else if (is(e, Ev::sreq_submit)) {
        s.len = t.b;
        s.state = Picture::SubreqState::in_flight;
      } else if (is(e, Ev::sreq_terminated)) {
        s.result = static_cast<std::int64_t>(t.b);
        s.state = s.result < 0 ? Picture::SubreqState::failed : Picture::SubreqState::done;
      } else {
        requests[req].erase(std::uint64_t{stream} << 32 | index);
      }
    }
  }
  for (const auto& [id, by_index] : folios) {
    if (by_index.empty()) continue;
    Picture::Mapping m;
    const auto name = r.object_names.find(id);
    m.name = id == sim::kNoObject ? "the file" : name != r.object_names.end() ? name->second : fmt::format("mapping #{}", id);
    for (const auto& [index, f] : by_index) m.folios.push_back(f);
    p.mappings.push_back(std::move(m));
  }
  p.request = latest;
  if (latest != 0)
    for (const auto& [key, s] : requests[latest]) p.subreqs.push_back(s);
  return p;
}

std::string picture_ascii(const Picture& p) {
  std::string out = fmt::format("step {}, time {}.{:03} us", p.step, p.time / 1000, p.time % 1000);
  out += p.request != 0 ? fmt::format(", subrequests of request R{}\n", p.request) : ", no subrequest yet\n";
  const Span span = span_of(p);
  if (span.empty()) return out + "(no folio and no subrequest in the trace up to this step)\n";
  out += fmt::format("{:>9}{:<{}}{}\n", "", span.lo, kColumns - 4, span.hi);
  for (const Picture::Mapping& m : p.mappings) {
    Row row(span);
    for (const Picture::Folio& f : m.folios) row.box(f.index * kPage, (f.index + (1u << f.order)) * kPage, folio_fill(f));
    out += fmt::format("{:<9}{}   {}\n", "Folios:", row.str(), m.name);
  }
  for (unsigned stream = 0; stream < 2; ++stream) {
    Row row(span);
    bool any = false;
    for (const Picture::Subreq& s : p.subreqs) {
      if (s.stream != stream) continue;
      row.box(s.start, s.start + std::max<std::uint64_t>(s.len, 1), subreq_fill(s.state));
      any = true;
    }
    if (any) out += fmt::format("{:<9}{}\n", stream == 0 ? "Upload:" : "Cache:", row.str());
  }
  out += "folios: D dirty, W writeback, B both; subrequests: . prepared, # in flight, = done, ! failed\n";
  return out;
}

std::string picture_svg(const Picture& p) {
  constexpr int kWidth = 800, kLeft = 90, kRow = 28, kBox = 20;
  const Span span = span_of(p);
  const int rows = static_cast<int>(p.mappings.size()) + 2;
  const int height = 40 + rows * kRow + 50;
  std::string out = fmt::format(
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"monospace\" font-size=\"12\">\n"
      "<text x=\"4\" y=\"16\">{}</text>\n",
      kWidth, height,
      xml_escape(fmt::format("step {}, time {}.{:03} us{}", p.step, p.time / 1000, p.time % 1000,
                             p.request != 0 ? fmt::format(", subrequests of R{}", p.request) : std::string())));
  if (span.empty()) return out + "</svg>\n";
  const auto x_of = [&](std::uint64_t x) {
    return kLeft + static_cast<double>(x - span.lo) * (kWidth - kLeft - 10) / static_cast<double>(span.hi - span.lo);
  };
  const auto rect = [&](int y, std::uint64_t from, std::uint64_t to, const char* fill, const std::string& title) {
    return fmt::format("<rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" fill=\"{}\" stroke=\"#333\"><title>{}</title></rect>\n",
                       x_of(from), y, std::max(1.0, x_of(to) - x_of(from)), kBox, fill, xml_escape(title));
  };
  int y = 30;
  for (const Picture::Mapping& m : p.mappings) {
    out += fmt::format("<text x=\"4\" y=\"{}\">Folios</text>\n", y + 15);
    for (const Picture::Folio& f : m.folios)
      out += rect(y, f.index * kPage, (f.index + (1u << f.order)) * kPage, folio_colour(f),
                  fmt::format("{} folio {}{}{}", m.name, f.index, f.dirty ? " dirty" : "", f.writeback ? " writeback" : ""));
    y += kRow;
  }
  for (unsigned stream = 0; stream < 2; ++stream) {
    out += fmt::format("<text x=\"4\" y=\"{}\">{}</text>\n", y + 15, stream == 0 ? "Upload" : "Cache");
    for (const Picture::Subreq& s : p.subreqs) {
      if (s.stream != stream) continue;
      out += rect(y, s.start, s.start + std::max<std::uint64_t>(s.len, 1), subreq_colour(s.state),
                  fmt::format("R{}[{}] {}+{} result {}", p.request, s.index, s.start, s.len, s.result));
    }
    y += kRow;
  }
  out += fmt::format("<text x=\"{}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n", kLeft,
                     y + 14, span.lo, kWidth - 10, y + 14, span.hi);
  // The legend.
  struct Key {
    const char* colour;
    const char* what;
  };
  const Key keys[] = {{"#f4a261", "dirty"},   {"#2a9d8f", "writeback"}, {"#e76f51", "both"},     {"#e9ecef", "clean"},
                      {"#ffffff", "prepared"}, {"#457b9d", "in flight"}, {"#a8dadc", "done"}, {"#e63946", "failed"}};
  int x = 4;
  for (const Key& k : keys) {
    out += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{}\" stroke=\"#333\"/>"
                       "<text x=\"{}\" y=\"{}\">{}</text>\n",
                       x, y + 28, k.colour, x + 16, y + 38, k.what);
    x += 96;
  }
  out += "</svg>\n";
  return out;
}

}  // namespace wbsim::cli
