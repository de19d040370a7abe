#!/usr/bin/env bash
# Installs the build tree into a temporary prefix, builds this folder's
# project against it with find_package(wbsim) and wbsim_add_scenarios, and
# runs the result: its own scenario fails with the bug switch that scenario
# exposes and passes without; the built-in scenarios and commands are there.
# Usage: test.sh BUILD_DIR SOURCE_DIR CMAKE CXX GENERATOR
set -u
build=$1
src=$2
cmake=$3
cxx=$4
generator=$5
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }

if ! "$cmake" --install "$build" --prefix "$work/prefix" >"$work/install.txt" 2>&1; then
  cat "$work/install.txt"; echo "FAILED: cmake --install"; exit 1
fi
for f in bin/wbsim include/wbsim/scenarios/registry.h include/wbsim/sim/run.h include/wbsim/model/world.h \
         include/wbsim/checkers/suite.h lib/cmake/wbsim/wbsimConfig.cmake lib/cmake/wbsim/wbsimConfigVersion.cmake; do
  [ -f "$work/prefix/$f" ] && ok || bad "not installed: $f"
done
[ -e "$work/prefix/include/wbsim/scenarios/netfs" ] && bad "a folder of sources installed as headers" || ok

if ! "$cmake" -S "$src/tests/out_of_tree" -B "$work/build" -G "$generator" -DCMAKE_CXX_COMPILER="$cxx" \
     -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_PREFIX_PATH="$work/prefix" >"$work/configure.txt" 2>&1; then
  cat "$work/configure.txt"; echo "FAILED: configure the out-of-tree project"; exit 1
fi
if ! "$cmake" --build "$work/build" >"$work/build.txt" 2>&1; then
  cat "$work/build.txt"; echo "FAILED: build the out-of-tree project"; exit 1
fi
bin=$work/build/my_wbsim

# Every built-in scenario and the out-of-tree one, in name order.
"$bin" list >"$work/list.txt" 2>&1
grep -qx 'oot/streaming_overwrite' "$work/list.txt" && ok || bad "list lacks oot/streaming_overwrite"
[ "$(wc -l <"$work/list.txt")" -eq $(($("$work/prefix/bin/wbsim" list | wc -l) + 1)) ] && ok ||
  bad "list: $(wc -l <"$work/list.txt") scenarios, want the installed wbsim's plus one"
sort -c "$work/list.txt" 2>/dev/null && ok || bad "list is not sorted by name"
"$bin" bugs | grep -q '^netfs-streaming-write-overwritten ' && ok || bad "bugs: the switch is missing"

# Without the switch every property holds; with it, data-integrity fires.
"$bin" run oot/streaming_overwrite --seed 1 --out "$work/fails" >"$work/pass.txt" 2>&1
code=$?
[ "$code" -eq 0 ] && ok || bad "run without the bug: exit $code: $(head -5 "$work/pass.txt")"
"$bin" run oot/streaming_overwrite --seed 1 --bug netfs-streaming-write-overwritten --out "$work/fails" \
  >"$work/fail.txt" 2>&1
code=$?
[ "$code" -eq 1 ] && ok || bad "run with the bug: exit $code, want 1: $(head -5 "$work/fail.txt")"
grep -q '^FAIL data-integrity:' "$work/fail.txt" && ok || bad "run with the bug: no 'FAIL data-integrity:' line"
file=$(sed -n 's/^failure file: //p' "$work/fail.txt")
"$bin" replay "$file" >"$work/replay.txt" 2>&1
grep -q '^REPRODUCED' "$work/replay.txt" && ok || bad "replay: $(tail -3 "$work/replay.txt")"

# The installed wbsim compiles a script against the installed headers.
XDG_CACHE_HOME=$work/cache "$work/prefix/bin/wbsim" run --script "$src/tests/out_of_tree/streaming_overwrite.cpp" \
  oot/streaming_overwrite --seed 1 --bug netfs-streaming-write-overwritten --out "$work/fails" >"$work/script.txt" 2>&1
code=$?
[ "$code" -eq 1 ] && grep -q '^FAIL data-integrity:' "$work/script.txt" && ok ||
  bad "installed wbsim --script: exit $code: $(head -5 "$work/script.txt")"

echo "out_of_tree: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
