#!/usr/bin/env bash
# docs/scenarios.md's examples: the script example compiles, passes, and
# fails with the bug switch the page names; the CMake example is
# tests/out_of_tree's project (which the out_of_tree test builds); and every
# `wbsim new-scenario` skeleton compiles and passes as written.
# Usage: docs_scenarios_test.sh WBSIM SOURCE_DIR
set -u
wbsim=$1
src=$2
. "$(dirname "$0")/test_lib.sh"
export XDG_CACHE_HOME=$work/cache

# The fenced block after `<!-- example: NAME -->`.
example() {
  awk -v name="$1" '$0 == "<!-- example: " name " -->" { want = 1; next }
                    want && /^```/ { if (inside) exit; inside = 1; next }
                    inside { print }' "$src/docs/scenarios.md"
}

example overwrite.cpp >overwrite.cpp
[ -s overwrite.cpp ] && ok || bad "docs/scenarios.md: no overwrite.cpp example"
"$wbsim" run --script overwrite.cpp mine/overwrite --seed 1 >pass.txt 2>&1
code=$?
[ "$code" -eq 0 ] && ok || bad "the example: exit $code, want 0: $(head -20 pass.txt)"
"$wbsim" run --script overwrite.cpp mine/overwrite --seed 1 --bug netfs-streaming-write-overwritten >fail.txt 2>&1
code=$?
[ "$code" -eq 1 ] && grep -q '^FAIL data-integrity:' fail.txt && ok || bad "the example with the bug: exit $code"

example CMakeLists.txt >cmake.txt
[ -s cmake.txt ] && ok || bad "docs/scenarios.md: no CMakeLists.txt example"
grep -v '^#' "$src/tests/out_of_tree/CMakeLists.txt" | diff -u cmake.txt - && ok ||
  bad "the CMake example is not tests/out_of_tree/CMakeLists.txt"

# The tutorial: each step's scenario compiles and passes a short sweep; the
# custom checker fires when its parameter says so; the RapidCheck step is
# tests/tutorial_rapidcheck_test.cpp as printed (wbsim_tests runs it).
for step in stall rpc_size barrier; do
  example "$step.cpp" >"$step.cpp"
  [ -s "$step.cpp" ] && ok || bad "docs/scenarios.md: no $step.cpp example"
  "$wbsim" sweep --script "$step.cpp" --seeds 30 --jobs 1 >sweep.txt 2>&1
  code=$?
  [ "$code" -eq 0 ] && ok || bad "tutorial $step.cpp: sweep exit $code: $(tail -5 sweep.txt)"
done
"$wbsim" run --script rpc_size.cpp mine/rpc_size --seed 1 --param limit_kib=4 >run.txt 2>&1
code=$?
[ "$code" -eq 1 ] && grep -q '^FAIL mine.rpc-size: a write RPC of' run.txt && ok ||
  bad "tutorial rpc_size.cpp with limit_kib=4: exit $code, want 1 and FAIL mine.rpc-size"
example tutorial_rapidcheck_test.cpp | diff -u - "$src/tests/tutorial_rapidcheck_test.cpp" >/dev/null && ok ||
  bad "the RapidCheck example is not tests/tutorial_rapidcheck_test.cpp"

# The composition example: parameters, fault sites and a spec.
example knobs.cpp >knobs.cpp
example knobs.toml >knobs.toml
[ -s knobs.cpp ] && [ -s knobs.toml ] && ok || bad "docs/scenarios.md: no knobs.cpp / knobs.toml example"
"$wbsim" list --long --script knobs.cpp >list.txt 2>&1
grep -qE 'params: appends=4 \[1\.\.64\] appends before the fsync; max_bytes=3000' list.txt && ok ||
  bad "knobs.cpp: list --long does not show its parameters"
"$wbsim" run --script knobs.cpp mine/knobs --param appends=2 --fault-sites +server.stall >run.txt 2>&1
code=$?
[ "$code" -eq 0 ] && grep -q ' server\.stall=1/' run.txt && ok || bad "knobs.cpp with --param and --fault-sites: exit $code"
"$wbsim" sweep --script knobs.cpp --seeds 20 --param max_bytes=100 --fault-sites '-server.*' >sweep.txt 2>&1
code=$?
[ "$code" -eq 0 ] && ok || bad "knobs.cpp sweep: exit $code: $(tail -5 sweep.txt)"
"$wbsim" sweep --script knobs.cpp --spec knobs.toml --seeds 10 >spec.txt 2>&1
code=$?
[ "$code" -eq 0 ] && grep -q 'spec knobs.toml: 2 test(s), all passed' spec.txt && ok || bad "knobs.toml: exit $code: $(tail -5 spec.txt)"

for kind in netfs fuse sim; do
  "$wbsim" new-scenario "mine/first_$kind" "--$kind" >new.txt 2>&1 || bad "new-scenario --$kind: $(cat new.txt)"
  grep -q "^// Why:" "first_$kind.cpp" && ok || bad "new-scenario --$kind: no Why comment"
  "$wbsim" run --script "first_$kind.cpp" "mine/first_$kind" --seed 2 >run.txt 2>&1
  code=$?
  [ "$code" -eq 0 ] && ok || bad "the --$kind skeleton: exit $code: $(head -20 run.txt)"
done
"$wbsim" new-scenario mine/first_netfs >out.txt 2>err.txt
code=$?
[ "$code" -eq 2 ] && grep -q "first_netfs.cpp' exists already" err.txt && ok || bad "new-scenario over a file: exit $code"

echo "docs_scenarios: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
