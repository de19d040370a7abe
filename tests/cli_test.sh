#!/usr/bin/env bash
# Command-line contract tests: exit codes, one-line errors naming the culprit,
# the reproduce line, replay of failure files, the same trace hash in separate
# processes, and the scenario registry against the files on disk.
# Usage: cli_test.sh WBSIM SOURCE_DIR
set -u
wbsim=$1
src=$2
. "$(dirname "$0")/test_lib.sh"

# --- bad input: one line, naming the culprit, exit 2 ----------------------------
expect_usage "unknown scenario 'no/such'" run no/such
expect_usage "--frobnicate" run canary/abba_deadlock --frobnicate
expect_usage "--seed 'abc'" run canary/abba_deadlock --seed abc
expect_usage "--seed '-1'" run canary/abba_deadlock --seed -1
expect_usage "--seed '99999999999999999999'" run canary/abba_deadlock --seed 99999999999999999999
expect_usage "--strategy 'pct:0'" run canary/abba_deadlock --strategy pct:0
expect_usage "--strategy 'dfs'" run canary/abba_deadlock --strategy dfs
expect_usage "--bug 'nope'" run canary/abba_deadlock --bug nope
expect_usage "--jobs 0" sweep --jobs 0
expect_usage "--shard '3/2'" sweep --shard 3/2
expect_usage "--shard '1'" sweep --shard 1
expect_usage "--shard '0/0'" sweep --shard 0/0
expect_usage "--scenario 'zzz\*'" sweep --scenario 'zzz*'
expect_usage "--seeds 0" sweep --seeds 0
expect_usage "--seeds 18446744073709551614: [0-9]+ scenarios x 18446744073709551614 seeds overflows" \
  sweep --scenario 'sim/*' --seeds 18446744073709551614
expect_usage "missing.wbsim: cannot read" replay missing.wbsim
printf 'hello\n' >corrupt1.wbsim
expect_usage "corrupt1.wbsim:1: not a wbsim failure file" replay corrupt1.wbsim
expect_usage "unknown command 'frobnicate'" frobnicate

# --- the canary: exit 1, checker, wait-for chain, reproduce line ------------------
"$wbsim" run canary/abba_deadlock --seed 1 --trace-hash --out fails >run1.txt 2>&1
code=$?
[ "$code" -eq 1 ] && ok || bad "canary exit $code, want 1"
grep -q '^FAIL deadlock:' run1.txt && ok || bad "canary: no 'FAIL deadlock:' line"
grep -q '^wait-for chain:' run1.txt && ok || bad "canary: no wait-for chain"
grep -q "cycle: 'left' -> 'right' -> 'left'" run1.txt && ok || bad "canary: no cycle line"
grep -q "held by fiber" run1.txt && ok || bad "canary: chain does not name the holder"
# The reproduce line starts with the path the binary was run by.
grep -qxF "reproduce: $wbsim run canary/abba_deadlock --seed 1" run1.txt && ok || bad "canary: reproduce line: $(grep '^reproduce' run1.txt)"
hash1=$(tail -n 1 run1.txt)
[[ "$hash1" =~ ^trace-hash:\ [0-9a-f]{16}$ ]] && ok || bad "canary: last line '$hash1' is not a trace hash"
file=$(sed -n 's/^failure file: //p' run1.txt)
[ -f "$file" ] && ok || bad "canary: failure file '$file' missing"
ls fails | grep -q '\.tmp' && bad "temporary file left behind" || ok

# Running the reproduce line gives the same failure and hash, in a new process.
repro=$(grep '^reproduce: ' run1.txt | cut -c$((${#wbsim} + 13))-)
# shellcheck disable=SC2086
"$wbsim" $repro --trace-hash --out fails2 >run2.txt 2>&1
code=$?
[ "$code" -eq 1 ] && ok || bad "reproduce exit $code"
[ "$(tail -n 1 run2.txt)" = "$hash1" ] && ok || bad "reproduce hash $(tail -n 1 run2.txt) != $hash1"

# Replay of the failure file: same failure, same hash.
"$wbsim" replay "$file" --trace-hash >replay.txt 2>&1
code=$?
[ "$code" -eq 1 ] && ok || bad "replay exit $code: $(head -5 replay.txt)"
grep -q '^FAIL deadlock:' replay.txt && ok || bad "replay: no FAIL deadlock"
grep -q '^REPRODUCED: deadlock fired again (the same trace' replay.txt && ok || bad "replay: no REPRODUCED verdict"
[ "$(tail -n 1 replay.txt)" = "$hash1" ] && ok || bad "replay hash $(tail -n 1 replay.txt) != $hash1"
# The file records where it came from.
grep -Eq '^wbsim: [0-9]+\.[0-9]+' "$file" && grep -Eq '^commit: ([0-9a-f]{12}(-dirty)?|unknown)$' "$file" &&
  grep -q '^options: faults=' "$file" && ok || bad "failure file without version, commit or options: $(cat "$file")"

# Replay verdicts once the planted bug is switched off (as after its fix):
# the tape followed to its end and the run passes (exit 0), or the tape no
# longer fits the run (exit 3, naming the step); --continue finishes it.
"$wbsim" run ploop/alloc_parallel --seed 1 --bug ploop-ack-before-bat --out verdicts >/dev/null 2>&1
vfile=$(ls verdicts/ploop_alloc_parallel-seed1-*.wbsim)
"$wbsim" replay "$vfile" --bugs '' >fixed.txt 2>&1
code=$?
[ "$code" -eq 0 ] && grep -q '^PASSES: followed the whole tape .* now passes' fixed.txt && ok ||
  bad "replay after the fix: exit $code: $(grep -E '^(PASS|DIVER|REPRO|FAILS)' fixed.txt)"
"$wbsim" run dio/pagecache-add-lock/readd_window --seed 1 --bug dio-readd-unlocked --out verdicts >/dev/null 2>&1
dfile=$(ls verdicts/dio_pagecache-add-lock_readd_window-seed1-*.wbsim)
"$wbsim" replay "$dfile" --bugs '' >diverged.txt 2>&1
code=$?
[ "$code" -eq 3 ] && grep -Eq '^DIVERGED at step [0-9]+ \(tape choice [0-9]+ of [0-9]+\): the tape chose runnable fiber #[0-9]+, only [0-9]+ runnable: ' diverged.txt && ok ||
  bad "diverging replay: exit $code: $(grep -E '^(PASS|DIVER|REPRO|FAILS)' diverged.txt)"
"$wbsim" replay "$dfile" --bugs '' --continue >continued.txt 2>&1
code=$?
[ "$code" -ne 3 ] && grep -q '^continued under the seeded strategy' continued.txt && ok ||
  bad "replay --continue: exit $code: $(tail -3 continued.txt)"
expect_usage "--bugs: unknown bug 'nonsense'" replay "$vfile" --bugs nonsense

# Shrink: a smaller failure file, same checker at the same place, that
# replays bit for bit; the before/after table.
"$wbsim" shrink "$vfile" -o shrunk.wbsim >shrink.txt 2>&1
code=$?
[ "$code" -eq 1 ] && grep -q '^shrunk .* ploop-data-before-ack still fires at checkers/ploop_protocol.cpp:' shrink.txt &&
  grep -Eq '^  steps +[0-9]+ -> [0-9]+' shrink.txt && ok || bad "shrink: exit $code: $(cat shrink.txt)"
before=$(awk '/^  steps/ {print $2}' shrink.txt); after=$(awk '/^  steps/ {print $4}' shrink.txt)
[ "$after" -le "$before" ] && ok || bad "shrink made the run longer: $before -> $after steps"
"$wbsim" replay shrunk.wbsim >shrunk-replay.txt 2>&1
code=$?
[ "$code" -eq 1 ] && grep -q '^REPRODUCED: ploop-data-before-ack fired again (the same trace' shrunk-replay.txt && ok ||
  bad "replay of the shrunk file: exit $code: $(grep -E '^(PASS|DIVER|REPRO|FAILS)' shrunk-replay.txt)"
expect_usage "missing.wbsim: cannot read" shrink missing.wbsim

# Pictures: the run as Chrome trace-event JSON, and `wbsim draw` of a
# failure file (ASCII, SVG); a step past the run's end is bad input.
"$wbsim" run netfs/retry_resplit_one_fewer --seed 1 --chrome-trace chrome.json --out pictures >/dev/null 2>&1
head -c 40 chrome.json | grep -q '"traceEvents"' && grep -q '"cat": "upload stream"' chrome.json && ok ||
  bad "run --chrome-trace: $(head -c 200 chrome.json)"
pfile=$(ls pictures/netfs_retry_resplit_one_fewer-seed1-*.wbsim)
"$wbsim" draw "$pfile" --svg picture.svg >draw.txt 2>&1
code=$?
[ "$code" -eq 0 ] && grep -q '^Folios: ' draw.txt && grep -q '^Upload: ' draw.txt && head -c 5 picture.svg | grep -q '<?xml' &&
  grep -q '</svg>' picture.svg && ok || bad "draw: exit $code: $(cat draw.txt)"
"$wbsim" replay "$pfile" --chrome-trace replay.json >/dev/null 2>&1
cmp -s chrome.json replay.json || grep -q '"traceEvents"' replay.json && ok || bad "replay --chrome-trace"
"$wbsim" trace "$pfile" --filter kind=SUBMT,kind=TERM >filtered.txt 2>&1
code=$?
[ "$code" -eq 0 ] && grep -Eq '^[0-9]+ of [0-9]+ trace lines$' filtered.txt && ! grep -E '^ +[0-9]+\.[0-9]{3} ' filtered.txt | grep -Eqv ' (SUBMT|TERM) ' && ok ||
  bad "trace --filter: exit $code: $(tail -3 filtered.txt)"
expect_usage "--filter: unknown key 'bogus' in 'bogus=1'" trace "$pfile" --filter bogus=1
"$wbsim" replay "$pfile" >where.txt 2>&1
grep -Eq "^  where: checkers/request_state.cpp:[0-9]+; its fiber descends from the one spawned at scenarios/netfs/retry_resplit_one_fewer.cpp:[0-9]+ \('writer'\)" where.txt && ok ||
  bad "where: names the scenario line: $(grep where: where.txt)"
# A run going round is a livelock found long before the step budget, and
# names the scenario line behind the fiber going round.
"$wbsim" run netfs/unbuffered_write_pause --seed 1 --bug netfs-wait-loops-collecting-in-app --out . >round.txt 2>&1
grep -q "^FAIL livelock: fiber 'direct' goes round the same 1 step over the last 1024 steps" round.txt &&
  grep -Eq "^  at virtual time [0-9.]+ s, step [0-9]{4}, " round.txt &&
  grep -Eq "^  where: no source line; its fiber descends from the one spawned at scenarios/netfs/unbuffered_write_pause.cpp:[0-9]+ \('direct'\)" round.txt &&
  ok || bad "a run going round: $(head -5 round.txt)"
expect_usage "--step 999999: the run ends at step [0-9]+" draw "$pfile" --step 999999
expect_usage "missing.wbsim: cannot read" draw missing.wbsim
# sweep --shrink: each failure group's file holds its shrunk run, which
# replays with the same checker; the verdicts and the exit code are the
# seeds' own, as without --shrink.
"$wbsim" sweep --scenario ploop/alloc_parallel --bug ploop-ack-before-bat --seeds 20 --jobs 2 --out plain >sweep-plain.txt 2>&1
plain=$?
"$wbsim" sweep --scenario ploop/alloc_parallel --bug ploop-ack-before-bat --seeds 20 --jobs 2 --shrink --out shr >sweep-shrunk.txt 2>&1
code=$?
[ "$plain" -eq 1 ] && [ "$code" -eq "$plain" ] && ok || bad "sweep --shrink: exit $code, without --shrink $plain"
verdicts() { grep -E '^(ok|FAIL) +[^ ]+ +seeds=' "$1" | sed 's/ steps\/s=[^ ]*//'; }
[ "$(verdicts sweep-shrunk.txt)" = "$(verdicts sweep-plain.txt)" ] && ok ||
  bad "sweep --shrink changed the verdicts: $(verdicts sweep-shrunk.txt)"
groups=$(grep -Ec '^FAIL ploop/alloc_parallel seed [0-9]+:' sweep-shrunk.txt)
[ "$groups" -ge 1 ] && [ "$(grep -Ec '^  shrunk: [0-9]+ -> [0-9]+ steps' sweep-shrunk.txt)" -eq "$groups" ] && ok ||
  bad "sweep --shrink: $groups failure groups, shrunk lines: $(grep -c '^  shrunk' sweep-shrunk.txt)"
awk '/^  shrunk: / {if ($4 > $2) exit 1}' sweep-shrunk.txt && ok || bad "sweep --shrink made a run longer"
sfile=$(sed -n 's/^  failure file: //p' sweep-shrunk.txt | head -n 1)
"$wbsim" replay "$sfile" >sweep-shrunk-replay.txt 2>&1
code=$?
[ "$code" -eq 1 ] && grep -q '^REPRODUCED: ploop-data-before-ack fired again' sweep-shrunk-replay.txt && ok ||
  bad "replay of a sweep --shrink file: exit $code: $(grep -E '^(PASS|DIVER|REPRO|FAILS)' sweep-shrunk-replay.txt)"

# explore: every schedule within a preemption bound. Bound 0 exhausts
# sim/abba_race without the deadlock; bound 1 finds it, and its failure
# file replays the deadlock; lost_wakeup likewise.
"$wbsim" explore sim/abba_race --preemption-bound 0 >explore0.txt 2>&1
code=$?
[ "$code" -eq 0 ] && grep -q 'preemption bound 0: the bounded space is exhausted, no checker fired' explore0.txt && ok ||
  bad "explore bound 0: exit $code: $(tail -1 explore0.txt)"
for s in abba_race lost_wakeup; do
  "$wbsim" explore sim/$s --preemption-bound 2 --out explored >explore.txt 2>&1
  code=$?
  efile=$(sed -n 's/^failure file: //p' explore.txt)
  [ "$code" -eq 1 ] && grep -Eq "^explore sim/$s: deadlock fired in schedule [0-9]+ \([0-2] preemptions" explore.txt && ok ||
    bad "explore sim/$s: exit $code: $(head -2 explore.txt)"
  "$wbsim" replay "$efile" 2>&1 | grep -q '^REPRODUCED: deadlock fired again (the same trace' && ok || bad "replay of explore's $efile"
done
expect_usage "unknown scenario 'nope'" explore nope

# A corrupted failure file is rejected with its line, not replayed.
sed 's/^seed: 1$/seed: 2/' "$file" >edited.wbsim
expect_usage "edited.wbsim:[0-9]+: checksum does not match" replay edited.wbsim
head -n 5 "$file" >truncated.wbsim
expect_usage "truncated.wbsim:[0-9]+: missing key" replay truncated.wbsim
sed 's/^seed: 1$/seed: x/' "$file" >badseed.wbsim
expect_usage "badseed.wbsim:3: seed 'x'" replay badseed.wbsim

# --- determinism across processes, for every scenario -----------------------------
for s in $("$wbsim" list); do
  for seed in 3 77; do
    a=$("$wbsim" run "$s" --seed $seed --trace-hash --out f 2>&1 | tail -n 1)
    b=$("$wbsim" run "$s" --seed $seed --trace-hash --out f 2>&1 | tail -n 1)
    [ "$a" = "$b" ] && ok || bad "$s seed $seed: '$a' then '$b'"
  done
done
a=$("$wbsim" run sim/abba_race --seed 5 --strategy pct:3 --trace-hash --out f | tail -n 1)
b=$("$wbsim" run sim/abba_race --seed 5 --strategy pct:3 --trace-hash --out f | tail -n 1)
[ "$a" = "$b" ] && ok || bad "pct:3 hashes differ across processes"

# The whole trace, written with --trace, is the same in two processes.
"$wbsim" run sim/credits_producer_consumer --seed 9 --trace t1.txt >/dev/null
"$wbsim" run sim/credits_producer_consumer --seed 9 --trace t2.txt >/dev/null
cmp -s t1.txt t2.txt && ok || bad "full traces differ across processes"
[ "$(wc -l <t1.txt)" -gt 10 ] && ok || bad "trace file too short"

# --- a passing run, list, version -------------------------------------------------
"$wbsim" run sim/timeout_wait --seed 1 >pass.txt 2>&1 && ok || bad "sim/timeout_wait failed: $(cat pass.txt)"
grep -q '^PASS' pass.txt && ok || bad "no PASS line"
"$wbsim" --version | grep -qE '^wbsim [0-9]+\.[0-9]+\.[0-9]+$' && ok || bad "--version"

# Every scenario file registers exactly one scenario, and nothing is lost.
files=$(find "$src/scenarios" -mindepth 2 -name '*.cpp' | wc -l)
macros=$(grep -l 'WBSIM_SCENARIO(' $(find "$src/scenarios" -mindepth 2 -name '*.cpp') | wc -l)
netfs_files=$(find "$src/scenarios/netfs" -name '*.cpp' | wc -l)
# A dio/ file registers its script once per coherency design (four).
dio_files=$(find "$src/scenarios/dio" -name '*.cpp' | wc -l)
dio_macros=$(grep -l 'WBSIM_DIO_SCENARIO(' $(find "$src/scenarios/dio" -name '*.cpp') | wc -l)
registered=$("$wbsim" list | wc -l)
# ... and every netfs and dio scenario runs again as mm/pressure/NAME.
[ "$((files - dio_files + 8 * dio_files + netfs_files))" -eq "$registered" ] && ok ||
  bad "$files scenario files ($dio_files dio ones, x4 designs, +$netfs_files netfs and dio mm/pressure copies) but $registered registered"
pressure=$("$wbsim" list | grep -c '^mm/pressure/')
[ "$pressure" -eq "$((netfs_files + 4 * dio_files))" ] && ok || bad "$pressure mm/pressure scenarios for $netfs_files netfs and $dio_files dio ones"
[ "$((macros + dio_macros))" -eq "$files" ] && ok || bad "$files scenario files, $macros with WBSIM_SCENARIO, $dio_macros with WBSIM_DIO_SCENARIO"
# --dio-policy: a dio scenario under another design; bad names exit 2 naming them.
"$wbsim" run dio/netfs/readd_window --dio-policy lock-entries --seed 1 >dp.txt 2>&1
grep -q '^wbsim run dio/lock-entries/readd_window seed=1' dp.txt && ok || bad "--dio-policy did not switch design: $(head -2 dp.txt)"
"$wbsim" run dio/netfs/readd_window --dio-policy nonsense >/dev/null 2>dp-bad.txt
[ $? -eq 2 ] && grep -q "^wbsim: --dio-policy 'nonsense': unknown design" dp-bad.txt && ok || bad "--dio-policy nonsense: $(cat dp-bad.txt)"

# --- sweep: exit codes, expected failures, shards, reports ----------------------
"$wbsim" sweep --seeds 200 --jobs 2 --junit j.xml --json s.json --out sf >sweep.txt 2>&1
code=$?
[ "$code" -eq 0 ] && ok || bad "sweep exit $code: $(tail -20 sweep.txt)"
grep -q '^sweep: ' sweep.txt && ok || bad "sweep summary missing"
grep -q 'canary/abba_deadlock' sweep.txt && ok || bad "sweep: canary missing"
grep -q '<testsuite' j.xml && ok || bad "junit report"
grep -q '"scenarios":\[' s.json && ok || bad "json report"
"$wbsim" sweep --seeds 40 --shard 1/4 --scenario 'sim/*' >shard.txt 2>&1
grep -q 'x 10 seed(s) from 1, shard 1/4' shard.txt && ok || bad "shard 1/4 of 40 seeds should be 10 seeds: $(head -1 shard.txt)"
GTEST_SHARD_INDEX=2 GTEST_TOTAL_SHARDS=4 "$wbsim" sweep --seeds 40 --scenario 'sim/t*' >envshard.txt 2>&1
grep -q 'shard 2/4' envshard.txt && ok || bad "GTEST_SHARD_* not honoured: $(head -1 envshard.txt)"

# --- bench: one JSON object with the two headline figures -----------------------
"$wbsim" bench --json --quick 1 >bench.json 2>&1
code=$?
[ "$code" -eq 0 ] && ok || bad "bench exit $code"
[ "$(wc -l <bench.json)" -eq 1 ] && ok || bad "bench --json printed more than one line"
grep -qE '^\{"fiber_switch_ns":[0-9.]+,"scheduler_step_ns":[0-9.]+,' bench.json && ok || bad "bench json: $(head -c 200 bench.json)"

# --- coverage marks: the list, and --require-coverage ------------------------------
"$wbsim" marks >marks.txt 2>&1
code=$?
[ "$code" -eq 0 ] && ok || bad "wbsim marks exit $code"
grep -qE '^sim\.work_requeued_while_running +a work item was queued again while it ran$' marks.txt && ok ||
  bad "wbsim marks lacks sim.work_requeued_while_running: $(head -5 marks.txt)"
# Other layers register marks of their own, so the passing check asserts only
# that the runtime's mark was hit, and the failing one only that it was named.
"$wbsim" sweep --scenario 'sim/workqueue_flush' --seeds 50 --require-coverage --json cov.json >cov.txt 2>&1
grep -q '^coverage marks:$' cov.txt && ok || bad "--require-coverage: no 'coverage marks:' section"
grep -qE '^ +[1-9][0-9]* +sim\.work_requeued_while_running +' cov.txt && ok ||
  bad "sim/workqueue_flush did not hit sim.work_requeued_while_running: $(grep -A3 'coverage marks' cov.txt)"
grep -qE '^coverage: [0-9]+ of [0-9]+ marks hit$' cov.txt && ok || bad "--require-coverage: no 'coverage: N of M' line"
grep -q "FAIL coverage: mark 'sim.work_requeued_while_running'" cov.txt && bad "workqueue mark reported unhit" || ok
grep -qE '"marks":\{[^}]*"sim\.work_requeued_while_running":[1-9][0-9]*' cov.json && ok || bad "json marks: $(cat cov.json)"
"$wbsim" sweep --scenario 'sim/*' --seeds 20 --require-coverage >simcov.txt 2>&1
code=$?
want=0
grep -qE '^FAIL' simcov.txt && want=1
[ "$code" -eq "$want" ] && ok || bad "sweep sim/* --require-coverage: exit $code, want $want: $(tail -5 simcov.txt)"
nmarks=$(wc -l <marks.txt)
grep -qE "^coverage: [0-9]+ of $nmarks marks hit\$" simcov.txt && ok || bad "coverage line does not count $nmarks marks"
listed=$(sed -n '/^coverage marks:$/,/^coverage: /p' simcov.txt | grep -cE '^  +([0-9]+|-)  ')
[ "$listed" -eq "$nmarks" ] && ok || bad "coverage section lists $listed marks, wbsim marks $nmarks"
unhit=$(sed -n '/^coverage marks:$/,/^coverage: /p' simcov.txt | grep -cE '^  +0  ')
[ "$(grep -c '^FAIL coverage: ' simcov.txt)" -eq "$unhit" ] && ok || bad "FAIL coverage lines do not match the unhit marks"
"$wbsim" sweep --scenario 'sim/timeout_wait' --seeds 5 --require-coverage >nocov.txt 2>&1
code=$?
[ "$code" -eq 1 ] && ok || bad "sweep with an unhit mark: exit $code, want 1"
grep -q "^FAIL coverage: mark 'sim.work_requeued_while_running' was never hit$" nocov.txt && ok ||
  bad "no FAIL coverage line for sim.work_requeued_while_running: $(tail -5 nocov.txt)"
"$wbsim" sweep --scenario 'sim/timeout_wait' --seeds 5 >nocov2.txt 2>&1
code=$?
[ "$code" -eq 0 ] && ok || bad "sweep without --require-coverage: exit $code, want 0"
grep -q 'coverage' nocov2.txt && bad "coverage printed without --require-coverage" || ok

# --- checker evaluations: always listed; a checker that never looked fails coverage --
grep -q '^checker evaluations:$' nocov2.txt && ok || bad "no 'checker evaluations:' table"
grep -qE '^  deadlock +[1-9][0-9]*$' nocov2.txt && ok || bad "deadlock not evaluated: $(grep -A3 'checker eval' nocov2.txt)"
grep -qE '^  data-integrity +0  never evaluated$' nocov2.txt && ok ||
  bad "a sim scenario shows data-integrity evaluated: $(grep data-integrity nocov2.txt)"
grep -q "^FAIL coverage: mark 'checker.data-integrity' was never hit$" nocov.txt && ok ||
  bad "--require-coverage does not fail on a checker that never looked"
"$wbsim" sweep --scenario 'netfs/*' --seeds 10 >netfsck.txt 2>&1
code=$?
[ "$code" -eq 0 ] && ok || bad "sweep netfs/* --seeds 10: exit $code: $(tail -3 netfsck.txt)"
ncheckers=$(sed -n '/^checker evaluations:$/,/^$/p' netfsck.txt | grep -cE '^  [a-z-]+ +[0-9]+')
[ "$ncheckers" -ge 15 ] && ok || bad "only $ncheckers checkers listed"
grep -q 'never evaluated' netfsck.txt && bad "a checker never looked in netfs/*: $(grep 'never evaluated' netfsck.txt)" || ok

# --- wbsim fuse-tables: docs/fuse.md's tables, from runs -----------------------------
"$wbsim" fuse-tables designs >designs.txt 2>&1 && ok || bad "fuse-tables designs failed: $(tail -3 designs.txt)"
[ "$(grep -cE '^\| (4 KiB|1 MiB) \| (temp pages|no temp pages)' designs.txt)" -eq 4 ] && ok ||
  bad "fuse-tables designs: not four rows: $(cat designs.txt)"
grep -qE '^\| 4 KiB \| no temp pages \| 0 \|' designs.txt && ok || bad "no-temp design made copies: $(cat designs.txt)"
grep -q 'run failed' designs.txt && bad "a design run failed: $(cat designs.txt)" || ok
"$wbsim" fuse-tables policies --seeds 30 >policies.txt 2>&1 && ok || bad "fuse-tables policies failed"
# Each policy switch breaks its own scenario; the defaults break none.
c21=$(head -3 policies.txt | grep '^| scenario' | tr '|' '\n' | grep -n 'fuse-reclaim-waits-on-writeback' | cut -d: -f1)
grep '^| fuse/reclaim_deadlock ' policies.txt | cut -d'|' -f"$c21" | grep -q '\*\*deadlock\*\*' && ok ||
  bad "C21 column: $(grep reclaim_deadlock policies.txt)"
grep -E '^\| (fuse|mm)/' policies.txt | cut -d'|' -f3 | grep -qv ' pass ' && bad "defaults fail somewhere: $(cat policies.txt)" || ok
"$wbsim" fuse-tables nonsense >/dev/null 2>bad-table.txt
[ $? -eq 2 ] && grep -q "unknown table 'nonsense'" bad-table.txt && ok || bad "fuse-tables with a bad table name"

# --- wbsim dio-table: docs/dio.md's design x property table, from sweeps ------------
"$wbsim" dio-table --seeds 20 --jobs 2 >diotable.txt 2>&1 && ok || bad "dio-table failed: $(tail -3 diotable.txt)"
[ "$(grep -cE '^\| (netfs|pagecache-add-lock|lock-entries|dio-via-pagecache) \|' diotable.txt)" -eq 4 ] && ok ||
  bad "dio-table: not four design rows: $(cat diotable.txt)"
# Kent's race under netfs, the self-deadlock under lock entries, each with a reproduce line.
grep -E '^\| netfs \|' diotable.txt | cut -d'|' -f5 | grep -q 'violated.*wbsim run dio/netfs/' && ok ||
  bad "dio-table: netfs D3 not violated: $(grep '^| netfs' diotable.txt)"
grep -E '^\| lock-entries \|' diotable.txt | cut -d'|' -f6 | grep -q 'violated.*wbsim run dio/lock-entries/' && ok ||
  bad "dio-table: lock-entries D4 not violated: $(grep '^| lock-entries' diotable.txt)"
grep -E '^\| pagecache-add-lock \|' diotable.txt | grep -q violated && bad "pagecache-add-lock violates: $(cat diotable.txt)" || ok
"$wbsim" dio-table --seeds 0 >/dev/null 2>dt-bad.txt
[ $? -eq 2 ] && grep -q -- "--seeds 0" dt-bad.txt && ok || bad "dio-table --seeds 0: $(cat dt-bad.txt)"

# --- wbsim fsx: replay, comparison, bad logs ------------------------------------------
fsxdir="$src/tests/data/fsx"
"$wbsim" fsx "$fsxdir/edge-cases.fsxops" --expected "$fsxdir/edge-cases.expected" >fsx-ok.txt 2>&1
code=$?
[ "$code" -eq 0 ] && ok || bad "wbsim fsx edge-cases: exit $code: $(tail -3 fsx-ok.txt)"
grep -q '^PASS: 25 operations, transcript equals' fsx-ok.txt && ok || bad "fsx pass line: $(cat fsx-ok.txt)"
"$wbsim" fsx "$fsxdir/edge-cases.fsxops" --seed 3 --faults all >fsx-t.txt 2>fsx-err.txt
cmp -s fsx-t.txt "$fsxdir/edge-cases.expected" && ok || bad "fsx transcript on stdout differs from the kernel's"
grep -q '^faults: ' fsx-err.txt && ok || bad "fsx --faults all: no fault line on stderr"
"$wbsim" fsx "$fsxdir/edge-cases.fsxops" --transcript t.out >/dev/null 2>&1
cmp -s t.out "$fsxdir/edge-cases.expected" && ok || bad "fsx --transcript FILE differs"
sed '3s/size=[0-9]*/size=1/' "$fsxdir/edge-cases.expected" >tampered.expected
"$wbsim" fsx "$fsxdir/edge-cases.fsxops" --expected tampered.expected >fsx-bad.txt 2>&1
code=$?
[ "$code" -eq 1 ] && ok || bad "fsx mismatch: exit $code, want 1"
grep -q '^FAIL transcript: line 3 differs from tampered.expected$' fsx-bad.txt && ok || bad "fsx mismatch line: $(head -2 fsx-bad.txt)"
grep -q '^  expected: 3 .* size=1$' fsx-bad.txt && ok || bad "fsx mismatch: no expected line: $(cat fsx-bad.txt)"
grep -q '^  actual:   3 ' fsx-bad.txt && ok || bad "fsx mismatch: no actual line"
grep -qF "reproduce: $wbsim fsx " fsx-bad.txt && grep -q 'edge-cases.fsxops --seed 1 --faults none --expected tampered.expected$' fsx-bad.txt && ok ||
  bad "fsx mismatch: no reproduce line: $(tail -1 fsx-bad.txt)"
# Mainline's insert range meets F24 in full-s21; --past-f24 takes the proposed fix.
"$wbsim" fsx "$fsxdir/full-s21.fsxops" --expected "$fsxdir/full-s21.expected" >fsx-f24.txt 2>&1
code=$?
[ "$code" -eq 1 ] && grep -q 'pinned: this run took the path of the finding netfs-insert-range-zeroes-eof-folio' fsx-f24.txt &&
  ok || bad "fsx full-s21 on mainline: exit $code, want 1 on F24: $(head -3 fsx-f24.txt)"
"$wbsim" fsx "$fsxdir/full-s21.fsxops" --past-f24 --expected "$fsxdir/full-s21.expected" >fsx-f24.txt 2>&1
code=$?
[ "$code" -eq 0 ] && grep -q '^PASS: 206 operations' fsx-f24.txt && ok || bad "fsx full-s21 --past-f24: exit $code: $(tail -3 fsx-f24.txt)"
printf 'write 0x0 0x10 0x0\nwrite 0x0 zz 0x0\n' >malformed.fsxops
expect_usage "malformed.fsxops:2: " fsx malformed.fsxops
printf 'write 0x0 0x10 0x0\ndedupe_range 0x0 0x10 0x20 0x0\n' >unsupported.fsxops
expect_usage "unsupported.fsxops:2: unsupported operation 'dedupe_range'" fsx unsupported.fsxops
expect_usage "--faults: 'some' is not none or all" fsx "$fsxdir/edge-cases.fsxops" --faults some
expect_usage "cannot read fsx log 'nope.fsxops'" fsx nope.fsxops
# Bounded inputs: empty and oversized logs, unusable output paths, stale
# temporaries (tests/cli_inputs.sh, sourced: the same counters).
# shellcheck source=tests/cli_inputs.sh
. "$src/tests/cli_inputs.sh"

# --- wbsim fsx --fuse: the request stream, its comparison, bad input -----------
fusedir="$src/tests/data/fuse"
"$wbsim" fsx "$fsxdir/edge-cases.fsxops" --fuse wb >fuse-view.txt 2>&1
cmp -s fuse-view.txt "$fusedir/edge-cases.wb.fuse-expected" && ok || bad "fsx --fuse wb: stream differs from the kernel's"
"$wbsim" fsx "$fsxdir/edge-cases.fsxops" --fuse nowb --fuse-view v.out >/dev/null 2>&1
cmp -s v.out "$fusedir/edge-cases.nowb.fuse-expected" && ok || bad "fsx --fuse-view FILE differs"
sed '16s/ size=[0-9]*/ size=1/' "$fusedir/edge-cases.wb.fuse-expected" >tampered.fuse
"$wbsim" fsx "$fsxdir/edge-cases.fsxops" --fuse wb --expected-fuse tampered.fuse >fuse-bad.txt 2>&1
code=$?
[ "$code" -eq 1 ] && ok || bad "fsx --expected-fuse mismatch: exit $code, want 1"
grep -q '^FAIL fuse: line 16 (op [0-9]*) differs from tampered.fuse$' fuse-bad.txt && ok ||
  bad "fsx --expected-fuse mismatch line: $(head -2 fuse-bad.txt)"
printf 'CREATE ino=1 name=f pid=A -> 2\nnot a request\n' >garbled.fuse
expect_usage "garbled.fuse:2: not a FUSE request line" fsx "$fsxdir/edge-cases.fsxops" --fuse wb --expected-fuse garbled.fuse
expect_usage "--fuse: 'both' is not nowb or wb" fsx "$fsxdir/edge-cases.fsxops" --fuse both
expect_usage "--fuse-view and --expected-fuse need --fuse" fsx "$fsxdir/edge-cases.fsxops" --expected-fuse x

echo "cli_contract: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
