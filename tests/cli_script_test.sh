#!/usr/bin/env bash
# wbsim --script: a scenario file outside the tree compiled at run time,
# run with and without the bug switch it exposes, its failure file replayed
# (also after the script was edited), the cache reused, and bad scripts
# (missing, a syntax error, no registration, a name taken) exit 2.
# Usage: cli_script_test.sh WBSIM
set -u
wbsim=$1
. "$(dirname "$0")/test_lib.sh"
export XDG_CACHE_HOME=$work/cache

mkdir scripts
cat >scripts/overwrite.cpp <<'CPP'
// A whole-folio write over a streaming record; netfs-streaming-write-overwritten
// brings back the mistake that kept the record.
#include "scenarios/netfs_support.h"

namespace {
using namespace wbsim;
WBSIM_SCENARIO(overwrite, "script/overwrite", .faults = false, .why = "a scenario compiled at run time") {
  model::World w({.background_thresh_pages = 4});
  model::NetfsInode& inode = w.create_file();
  w.preload(inode, scenarios::pattern(7, 4 * 4096));
  s.spawn("writer", [&] {
    model::NetfsFile f = w.open(inode, model::FMODE_WRITE);
    scenarios::write_all(f, 4096 + 100, scenarios::pattern(1, 200), {.max_folio_order = 0});
    scenarios::write_all(f, 4096, scenarios::pattern(2, 4096), {.max_folio_order = 0});
    model::netfs_fsync(f);
  });
  s.run();
  s.liveness_phase(w);
}
}  // namespace
CPP

# Passes without the switch (the first run compiles), fails with it.
"$wbsim" run --script scripts/overwrite.cpp script/overwrite --seed 1 >pass.txt 2>&1
code=$?
[ "$code" -eq 0 ] && ok || bad "run: exit $code, want 0: $(head -20 pass.txt)"
grep -q '^PASS:' pass.txt && ok || bad "run: no PASS line"
[ "$(find cache/wbsim -name '*.so' | wc -l)" -eq 1 ] && ok || bad "cache: $(ls cache/wbsim)"
"$wbsim" run --script scripts/overwrite.cpp script/overwrite --seed 1 --bug netfs-streaming-write-overwritten \
  --out fails >fail.txt 2>&1
code=$?
[ "$code" -eq 1 ] && ok || bad "run --bug: exit $code, want 1: $(head -20 fail.txt)"
grep -q '^FAIL data-integrity:' fail.txt && ok || bad "run --bug: no 'FAIL data-integrity:' line"
# The second run loaded the cached object (no second compile).
[ "$(find cache/wbsim -name '*.so' | wc -l)" -eq 1 ] && ok || bad "cache after a second run: $(ls cache/wbsim)"
# The reproduce line loads the script again, by its absolute path.
grep -qxF "reproduce: $wbsim run --script $work/scripts/overwrite.cpp script/overwrite --seed 1 --bug netfs-streaming-write-overwritten" fail.txt &&
  ok || bad "reproduce line: $(grep '^reproduce' fail.txt)"
file=$(sed -n 's/^failure file: //p' fail.txt)
grep -qxF "script: $work/scripts/overwrite.cpp" "$file" && ok || bad "failure file: no script line"
grep -qE '^script-hash: [0-9a-f]{16}$' "$file" && ok || bad "failure file: no script-hash line"

# Replay from another directory finds the script by its recorded path.
mkdir elsewhere
(cd elsewhere && "$wbsim" replay "$work/$file" >../replay.txt 2>&1)
grep -q '^REPRODUCED: data-integrity' replay.txt && ok || bad "replay: $(tail -5 replay.txt)"
# Shrink loads the script too, and its file names the script again.
"$wbsim" shrink "$file" -o shrunk.wbsim --max-runs 50 >shrink.txt 2>&1
grep -q '^FAIL data-integrity:' shrink.txt && ok || bad "shrink: $(tail -5 shrink.txt)"
grep -qxF "script: $work/scripts/overwrite.cpp" shrunk.wbsim && ok || bad "shrunk file: no script line"
# Edited since: replay uses the cache's copy of the contents the file records.
echo '// edited' >>scripts/overwrite.cpp
"$wbsim" replay "$file" >replay2.txt 2>&1
grep -q '^REPRODUCED: data-integrity' replay2.txt && ok || bad "replay after an edit: $(tail -5 replay2.txt)"
grep -q 'changed since the failure' replay2.txt && ok || bad "replay after an edit: no note on the copy"
# The compiled object alone is enough; with nothing kept: one line naming
# the script, exit 2.
rm -f cache/wbsim/*.cpp
"$wbsim" replay "$file" >replay3.txt 2>&1
grep -q '^REPRODUCED: data-integrity' replay3.txt && ok || bad "replay from the cached object: $(tail -5 replay3.txt)"
rm -f cache/wbsim/*
"$wbsim" replay "$file" >out.txt 2>err.txt
code=$?
[ "$code" -eq 2 ] && [ "$(wc -l <err.txt)" -eq 1 ] && grep -q 'overwrite.cpp is missing or changed' err.txt && ok ||
  bad "replay without the script: exit $code: $(cat err.txt)"

# list and sweep see the script's scenarios; sweep --script defaults to them.
"$wbsim" list --script scripts/overwrite.cpp >list.txt 2>&1
grep -qx 'script/overwrite' list.txt && ok || bad "list --script: no script/overwrite"
sort -c list.txt 2>/dev/null && ok || bad "list --script: not sorted by name"
"$wbsim" sweep --script scripts/overwrite.cpp --seeds 3 --jobs 1 --out fails >sweep.txt 2>&1
code=$?
[ "$code" -eq 0 ] && ok || bad "sweep --script: exit $code: $(tail -5 sweep.txt)"
grep -q '^wbsim sweep: 1 scenario(s) x 3 seed(s)' sweep.txt && ok || bad "sweep --script: $(head -1 sweep.txt)"

# Bad scripts: exit 2, the culprit named.
# A compile error is the compiler's lines, then one naming the script: the
# last line is the one to match.
expect_last_line() {
  local pattern=$1; shift
  "$wbsim" "$@" >out.txt 2>err.txt
  local code=$?
  if [ "$code" -ne 2 ]; then bad "wbsim $*: exit $code, want 2: $(cat err.txt)"; return; fi
  if [ "$(tail -n 1 err.txt | grep -cE -- "$pattern")" -ne 1 ]; then bad "wbsim $*: last line '$(tail -n 1 err.txt)' lacks '$pattern'"; return; fi
  ok
}
expect_last_line "^wbsim: --script 'nope.cpp': cannot read: No such file" run --script nope.cpp x/y
[ "$(wc -l <err.txt)" -eq 1 ] && ok || bad "missing script: $(wc -l <err.txt) lines"
printf 'int x = ;\n' >scripts/syntax.cpp
expect_last_line "^wbsim: --script scripts/syntax.cpp: compilation failed" run --script scripts/syntax.cpp x/y
# The compiler's own message, as it printed it, comes first.
grep -q "syntax.cpp:1:9: error: expected primary-expression before .;. token" err.txt && ok ||
  bad "compile error: the compiler's message is missing: $(cat err.txt)"
printf '// nothing here\nint unused_value = 1;\n' >scripts/empty.cpp
expect_last_line "^wbsim: --script scripts/empty.cpp: registers no scenario" run --script scripts/empty.cpp x/y
[ "$(wc -l <err.txt)" -eq 1 ] && ok || bad "empty script: $(wc -l <err.txt) lines"
cat >scripts/taken.cpp <<'CPP'
#include "scenarios/registry.h"
WBSIM_SCENARIO(taken, "canary/abba_deadlock") { s.run(); }
CPP
expect_last_line "^wbsim: --script scripts/taken.cpp: scenario 'canary/abba_deadlock' is registered already" \
  list --script scripts/taken.cpp
cat >scripts/undefined.cpp <<'CPP'
#include "scenarios/registry.h"
void defined_nowhere();
WBSIM_SCENARIO(undefined, "script/undefined") { defined_nowhere(); }
CPP
expect_last_line "^wbsim: --script scripts/undefined.cpp: cannot load .*undefined symbol: _Z15defined_nowherev" \
  run --script scripts/undefined.cpp script/undefined
[ "$(wc -l <err.txt)" -eq 1 ] && ok || bad "undefined symbol: $(wc -l <err.txt) lines"
expect_last_line "unknown scenario 'script/none'" run --script scripts/overwrite.cpp script/none

echo "cli_script: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
