#!/usr/bin/env bash
# Composition without recompiling: --fault-sites, --param, sweep --spec, and
# failure files that record them. Bad input is one line naming the culprit
# (FILE:LINE for a spec), exit 2.
# Usage: cli_compose_test.sh WBSIM
set -u
wbsim=$1
. "$(dirname "$0")/test_lib.sh"

s=netfs/group_write_over_cached_read
bug=netfs-perform-write-folio-private

# --- bad input ---------------------------------------------------------------
expect_usage "--fault-sites: 'nosuch.\*' \(entry 1\): matches no fault site" run $s --fault-sites '+nosuch.*'
expect_usage "--fault-sites: 'server.stall' \(entry 1\): needs \+" run $s --fault-sites server.stall
expect_usage "--fault-sites: entry 2 is empty" run $s --fault-sites '+server.stall,'
expect_usage "--fault-sites: 'cache.zzz' \(entry 2\)" sweep --scenario $s --fault-sites '+server.stall,-cache.zzz'
expect_usage "--param 'nope': scenario $s has no such parameter \(its parameters: ops, folios\)" run $s --param nope=1
expect_usage "--param 'x': scenario canary/abba_deadlock has no such parameter \(it declares none\)" \
  run canary/abba_deadlock --param x=1
expect_usage "--param 'ops=0': out of range for $s \(from 1 to 64, default 6\)" run $s --param ops=0
expect_usage "--param 'ops=65': out of range" run $s --param ops=65
expect_usage "--param 'ops=abc': 'abc' is not a whole number" run $s --param ops=abc
expect_usage "--param 'ops': expected NAME=VALUE" run $s --param ops
expect_usage "--param 'ops': given twice" run $s --param ops=1 --param ops=2
expect_usage "--param 'zzz=1': no selected scenario declares 'zzz'" sweep --scenario 'netfs/*' --param zzz=1
expect_usage "--param 'ops=99': out of range" sweep --scenario 'netfs/*' --param ops=99

# A spec: every mistake is FILE:LINE, found before the first seed runs.
spec_error() {
  local pattern=$1 text=$2
  printf '%b' "$text" >bad.toml
  expect_usage "$pattern" sweep --spec bad.toml
}
spec_error "bad.toml:2: " 'seeds = 2\n[[test]\n'
spec_error "bad.toml:3: unknown key 'colour'" '[[test]]\nscenario = "canary/*"\ncolour = "red"\n'
spec_error "bad.toml:1: no \[\[test\]\]" 'seeds = 3\n'
spec_error "bad.toml:1: unknown key 'title' \(before the first \[\[test\]\]" 'title = "x"\n[[test]]\n'
spec_error "bad.toml:6: --scenario 'zzz/\*': matches no scenario" \
  '[[test]]\nscenario = "canary/*"\nseeds = 2\n\n[[test]]\nscenario = "zzz/*"\n'
spec_error "bad.toml:3: params.ops must be a whole number" "[[test]]\nscenario = \"$s\"\nparams = { ops = \"six\" }\n"
spec_error "bad.toml:3: --param 'ops=0': out of range" "[[test]]\nscenario = \"$s\"\nparams = { ops = 0 }\n"
spec_error "bad.toml:3: --param 'zzz': scenario $s has no such parameter" "[[test]]\nscenario = \"$s\"\nparams = { zzz = 1 }\n"
spec_error "bad.toml:3: --param 'zzz=1': no selected scenario declares" '[[test]]\nscenario = "netfs/*"\nparams = { zzz = 1 }\n'
spec_error "bad.toml:4: --fault-sites: 'no.site' \(entry 1\)" "[[test]]\nscenario = \"$s\"\n\nfault-sites = [\"-no.site\"]\n"
spec_error "bad.toml:2: --strategy 'dfs'" '[[test]]\nstrategy = "dfs"\nscenario = "canary/*"\n'
spec_error "bad.toml:3: --bug 'nope'" '[[test]]\nscenario = "canary/*"\nbugs = ["nope"]\n'
spec_error "bad.toml:2: --seeds 0" '[[test]]\nseeds = 0\nscenario = "canary/*"\n'
spec_error "bad.toml:3: 'scenario' must be a string or an array of strings" '[[test]]\n\nscenario = 3\n'
printf '[[test]]\nscenario = "canary/*"\n' >good.toml
expect_usage "--spec: --junit and --json name one sweep's report" sweep --spec good.toml --junit x.xml
expect_usage "missing.toml:.*" sweep --spec missing.toml

# --- --fault-sites switches sites on and off for every seed --------------------
all_on=1
for seed in 1 2 3 4 5; do
  "$wbsim" run $s --seed $seed --fault-sites +server.stall >run.txt 2>&1
  grep -q ' server\.stall=1/' run.txt || all_on=0
done
[ $all_on -eq 1 ] && ok || bad "--fault-sites +server.stall: not on for every seed"
"$wbsim" run $s --seed 1 --fault-sites '-*' >run.txt 2>&1
grep -q '^faults: none on' run.txt && ok || bad "--fault-sites -*: $(sed -n 2p run.txt)"
"$wbsim" run $s --seed 1 --fault-sites '-*,+cache.enobufs' >run.txt 2>&1
grep -qE '^faults: cache\.enobufs=1/[0-9]+ fired [0-9]+ \(' run.txt && ok || bad "-*,+cache.enobufs: $(sed -n 2p run.txt)"

# --- --param changes the workload; the failure file and reproduce line keep it ---
steps_default=$("$wbsim" run $s --seed 1 | sed -n 's/^PASS: \([0-9]*\) steps.*/\1/p')
steps_one=$("$wbsim" run $s --seed 1 --param ops=1 | sed -n 's/^PASS: \([0-9]*\) steps.*/\1/p')
[ -n "$steps_one" ] && [ "$steps_one" -lt "$steps_default" ] && ok || bad "--param ops=1: $steps_one steps, default $steps_default"
"$wbsim" list --long | grep -qE "params: ops=6 \[1\.\.64\]" && ok || bad "list --long: no params line for $s"

"$wbsim" run $s --seed 1 --bug $bug --param ops=3 --fault-sites +server.stall --out fails >run.txt 2>&1
[ $? -eq 1 ] && ok || bad "run with --param and --bug: exit $?, want 1"
grep -qxF "reproduce: $wbsim run $s --seed 1 --bug $bug --fault-sites +server.stall --param ops=3" run.txt && ok ||
  bad "reproduce line: $(grep '^reproduce' run.txt)"
file=$(ls fails/*.wbsim)
grep -qx 'params: ops=3' "$file" && ok || bad "failure file lacks 'params: ops=3'"
grep -qx 'fault-sites: +server.stall' "$file" && ok || bad "failure file lacks 'fault-sites: +server.stall'"
"$wbsim" replay "$file" >replay.txt 2>&1
[ $? -eq 1 ] && grep -q 'the same trace, hash for hash' replay.txt && ok || bad "replay of a composed run: $(grep -E 'REPRO|DIVERG|PASS' replay.txt)"
"$wbsim" replay "$file" --bugs '' >replay.txt 2>&1
[ $? -eq 0 ] && ok || bad "replay --bugs '' of a composed run: want 0"

# --- the shrinker lowers the parameters ----------------------------------------
"$wbsim" shrink "$file" -o shrunk.wbsim >shrink.txt 2>&1
[ $? -eq 1 ] && ok || bad "shrink: exit $?, want 1"
grep -qE '^  param ops +3 -> 1 ' shrink.txt && ok || bad "shrink did not lower ops to 1: $(grep param shrink.txt)"
grep -qx 'params: ops=1,folios=[0-9]*' shrunk.wbsim && ok || bad "shrunk file params: $(grep params shrunk.wbsim)"
"$wbsim" replay shrunk.wbsim >replay.txt 2>&1
[ $? -eq 1 ] && grep -q 'the same trace, hash for hash' replay.txt && ok || bad "replay of the shrunk file"

# --- a spec runs its tests in order; the worst exit code wins -------------------
cat >spec.toml <<EOF
seeds = 4
jobs = 1

[[test]]
title = "the group write, fewer operations"
scenario = "$s"
params = { ops = 2, folios = 2 }
fault-sites = "-server.*"

[[test]]
title = "the historical bug, found"
scenario = ["$s"]
bugs = ["$bug"]
params = { ops = 2 }
junit = "bug.xml"
EOF
"$wbsim" sweep --spec spec.toml --jobs 1 --out spec-fails >spec.txt 2>&1
expect_usage "spec.toml:2: unknown key 'jobs'" sweep --spec spec.toml
sed -i '/^jobs = 1$/d' spec.toml
"$wbsim" sweep --spec spec.toml --jobs 1 --out spec-fails >spec.txt 2>&1
code=$?
[ $code -eq 1 ] && ok || bad "spec with a planted bug: exit $code, want 1"
grep -q '^== the group write, fewer operations (1 of 2, spec.toml:3)' spec.txt && ok || bad "spec: first test's title line"
grep -q '^== the historical bug, found (2 of 2, spec.toml:9)' spec.txt && ok || bad "spec: second test's title line"
grep -q '^composed: --fault-sites -server.\* --param folios=2 --param ops=2' spec.txt && ok || bad "spec: first test's composition"
grep -q 'spec spec.toml: 2 test(s), FAILED' spec.txt && ok || bad "spec: summary line"
[ -s bug.xml ] && ok || bad "spec: the second test's junit file"
grep -q 'params: ops=2' spec-fails/*.wbsim && ok || bad "spec: the failure file records the test's params"
sed -i '/^bugs = /d' spec.toml
"$wbsim" sweep --spec spec.toml --jobs 1 --out spec-fails >spec.txt 2>&1
[ $? -eq 0 ] && grep -q 'all passed' spec.txt && ok || bad "spec without the bug: want exit 0, all passed"

# --- shards of one composed sweep merge; shards of two compositions do not ----------
"$wbsim" sweep --scenario $s --seeds 4 --shard 0/2 --param ops=2 --fault-sites -server.stall --json s0.json >/dev/null 2>&1
"$wbsim" sweep --scenario $s --seeds 4 --shard 1/2 --param ops=2 --fault-sites -server.stall --json s1.json >/dev/null 2>&1
"$wbsim" merge merged.json s0.json s1.json >merge.txt 2>&1
[ $? -eq 0 ] && ok || bad "merge of two composed shards: $(tail -2 merge.txt)"
"$wbsim" sweep --scenario $s --seeds 4 --shard 1/2 --param ops=3 --fault-sites -server.stall --json s1.json >/dev/null 2>&1
expect_usage "--param ops=3, but ops=2" merge merged.json s0.json s1.json
"$wbsim" sweep --scenario $s --seeds 4 --shard 1/2 --param ops=2 --json s1.json >/dev/null 2>&1
expect_usage "--fault-sites" merge merged.json s0.json s1.json

echo "cli_compose: $passed passed, $failed failed"
[ $failed -eq 0 ]
