# Sourced by the shell tests, after they set $wbsim: a scratch folder to work
# in (removed at exit), the pass/fail counters, and expect_usage.
# shellcheck shell=bash
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }

# expect_usage PATTERN ARGS...: `wbsim ARGS` exits 2 with one stderr line
# matching PATTERN (bad input names its culprit in one line).
expect_usage() {
  local pattern=$1; shift
  "$wbsim" "$@" >out.txt 2>err.txt
  local code=$?
  local lines
  lines=$(wc -l <err.txt)
  if [ "$code" -ne 2 ]; then bad "wbsim $*: exit $code, want 2"; return; fi
  if [ "$lines" -ne 1 ]; then bad "wbsim $*: $lines stderr lines, want 1: $(cat err.txt)"; return; fi
  if ! grep -qE -- "$pattern" err.txt; then bad "wbsim $*: stderr '$(cat err.txt)' lacks '$pattern'"; return; fi
  ok
}
