// Scenario name globs (`--scenario 'netfs/*'`), apart from the registry so
// that the matcher can be fuzzed alone (tests/fuzz/).
#include "scenarios/glob.h"

namespace wbsim::scenarios {

bool glob_match(std::string_view glob, std::string_view text) {
  // Iterative matcher with single-star backtracking: linear in practice.
  std::size_t g = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    // A star first: tried as a literal, it would match a '*' in the text
    // and never be backtracked to.
    if (g < glob.size() && glob[g] == '*') {
      star = g++;
      mark = t;
    } else if (g < glob.size() && (glob[g] == '?' || glob[g] == text[t])) {
      ++g;
      ++t;
    } else if (star != std::string_view::npos) {
      g = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

}  // namespace wbsim::scenarios
