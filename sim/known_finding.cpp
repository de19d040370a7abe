#include "sim/known_finding.h"

#include <vector>

namespace wbsim::sim {

namespace {

std::vector<const KnownFinding*>& registry() {
  static std::vector<const KnownFinding*> r;
  return r;
}

}  // namespace

KnownFinding::KnownFinding(const char* mark_name, const char* name, const char* checkers, const char* scope,
                           const char* description)
    : name_(name), checkers_(checkers), mark_(mark_name, description, scope) {
  registry().push_back(this);
}

bool KnownFinding::explains(std::string_view checker) const {
  std::string_view list = checkers_;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    if (list.substr(0, comma) == checker) return true;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

std::span<const KnownFinding* const> known_findings() { return registry(); }

const KnownFinding* explaining_finding(std::string_view checker, const std::vector<std::uint64_t>& mark_hits) {
  for (const KnownFinding* f : registry()) {
    const std::uint32_t i = f->mark().index();
    if (i < mark_hits.size() && mark_hits[i] > 0 && f->explains(checker)) return f;
  }
  return nullptr;
}

}  // namespace wbsim::sim
