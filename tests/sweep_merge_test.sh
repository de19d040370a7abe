#!/usr/bin/env bash
# Sharded sweeps merged with `wbsim merge` give the unsharded verdicts: for
# 1, 2, 3 and 8 shards, the merged summary (table, pinned findings, checker
# evaluations, coverage, failure groups, totals) and exit code equal the
# unsharded sweep's, throughput and wall time aside. A shard never fails on
# what only the union can judge. Bad shard files exit 2 naming the file; a
# determinism leak recorded in a shard exits 3.
# Usage: sweep_merge_test.sh WBSIM
set -u
wbsim=$1
. "$(dirname "$0")/test_lib.sh"

# The summary from the table on, with steps/s (busy time differs between
# runs) and the wall time masked.
summary() {
  sed -n '/^scenario  *seeds  *failures  *expected  *steps\/s  verdict$/,$p' "$1" |
    awk 'BEGIN {table = 1} /^$/ {table = 0} table && NR > 1 {$5 = "-"} {print}' |
    sed -E 's/ steps in [0-9.]+ s$/ steps/'
}

# check_case NAME SWEEP_ARGS...: the unsharded sweep, then 1, 2, 3 and 8
# shards and their merge.
check_case() {
  local name=$1; shift
  "$wbsim" sweep "$@" --jobs 2 --out fails --json "$name-whole.json" >"$name-whole.txt" 2>&1
  local whole=$?
  summary "$name-whole.txt" >"$name-whole.sum"
  [ -s "$name-whole.sum" ] && ok || bad "$name: no summary in the unsharded sweep: $(tail -3 "$name-whole.txt")"
  local n i code files
  for n in 1 2 3 8; do
    files=()
    for ((i = 0; i < n; i++)); do
      "$wbsim" sweep "$@" --shard "$i/$n" --jobs 1 --out fails --json "$name-$n-$i.json" --junit "$name-$n-$i.xml" \
        >"$name-$n-$i.txt" 2>&1
      code=$?
      # A shard fails only on what it can judge alone: not when the whole passes.
      if [ "$whole" -eq 0 ] && [ "$code" -ne 0 ]; then bad "$name: shard $i/$n exit $code, unsharded 0"; fi
      files+=("$name-$n-$i.json")
    done
    "$wbsim" merge "$name-$n-merged.json" "${files[@]}" --junit "$name-$n-merged.xml" >"$name-$n-merged.txt" 2>&1
    code=$?
    [ "$code" -eq "$whole" ] && ok || bad "$name: merge of $n shards exit $code, unsharded $whole"
    summary "$name-$n-merged.txt" >"$name-$n-merged.sum"
    if cmp -s "$name-whole.sum" "$name-$n-merged.sum"; then ok; else
      bad "$name: merge of $n shards differs from the unsharded sweep:"
      diff "$name-whole.sum" "$name-$n-merged.sum" | head -20
    fi
    if [ "$n" -gt 1 ]; then
      dup=$(grep -ho '<testsuite name="[^"]*"' "$name-$n"-[0-9]*.xml | sort | uniq -d)
      [ -z "$dup" ] && ok || bad "$name: shards' JUnit suites share a name: $dup"
      grep -q "<testsuite name=\"wbsim sweep shard 1/$n\"" "$name-$n-1.xml" && ok ||
        bad "$name: shard 1/$n's suite: $(grep -o '<testsuite[^>]*>' "$name-$n-1.xml")"
    fi
  done
}

# Canaries (a checker on every seed), sim/lost_wakeup and sim/abba_race (a
# checker on some seed), passing scenarios: passes whole, and with 8 shards
# of 16 seeds most shards see no lost wakeup and defer.
check_case pass --scenario 'canary/*' --scenario 'sim/*' --seeds 16
[ "$(cat pass-8-*.txt | grep -c 'deferred to merge')" -gt 0 ] && ok || bad "no shard of 8 deferred a verdict"
grep -q '"expect":"fail_sometimes"' pass-8-0.json && ok || bad "json: no expectation recorded"
# A planted bug found on some seeds (failure groups joined across shards),
# with coverage demanded: fails whole (exit 1), and the merge says the same.
check_case bug --scenario 'canary/*' --scenario sim/lost_wakeup --scenario netfs/retry_shrinking_credits \
  --bug netfs-retry-inserted-subreq-ref-leak --require-coverage --seeds 40
grep -q '^FAIL netfs/retry_shrinking_credits seed [0-9]*: refcount: ' bug-8-merged.txt && ok ||
  bad "merge lost the planted bug's failure group: $(grep -E '^FAIL' bug-8-merged.txt | head -3)"
grep -q '^coverage: [0-9]* mark(s) unhit in this shard: deferred to merge$' bug-8-0.txt && ok ||
  bad "shard 0/8 does not defer its unhit marks: $(grep '^coverage' bug-8-0.txt)"
grep -q '^FAIL coverage: ' bug-8-0.txt && bad "shard 0/8 fails on coverage" || ok
# Failure records carry their provenance.
for field in '"scenario":"netfs/retry_shrinking_credits"' '"strategy":"random"' '"shard":{"index":' \
  '"seed_base":1' '"wbsim_version":"' '"commit":"' '"bugs":\["netfs-retry-inserted-subreq-ref-leak"\]'; do
  sed 's/.*"failures":\[{/{/' bug-3-1.json | grep -q "$field" && ok || bad "json failure record lacks $field"
done

# A merged record names the shard that ran its seed.
sed 's/.*"failures":\[{/{/' bug-8-merged.json | grep -qE '"shard":\{"index":[0-7],"count":8\}' && ok ||
  bad "merged failure record lacks its shard: $(sed 's/.*"failures":\[{/{/' bug-8-merged.json | head -c 300)"

# The default sweep (every scenario, canaries and the scenarios that expect a
# checker under a named variant among them): at 6 seeds it passes whole while
# shards of it see expected checkers not fire and defer; at 3 seeds with a
# planted bug it fails whole, on the bug and on expectations not yet met, and
# the merges say the same.
check_case default --seeds 6
grep -q '^sweep: [0-9]* scenarios, [0-9]* seeds, 0 failing seeds' default-whole.txt && ! grep -q '^FAIL' default-whole.txt && ok ||
  bad "default sweep at 6 seeds does not pass whole: $(tail -2 default-whole.txt)"
grep -q 'deferred to merge: expected checker' default-8-*.txt && ok || bad "no shard of the default sweep deferred"
check_case default-bug --seeds 3 --bug netfs-retry-inserted-subreq-ref-leak
grep -q 'never fired in 3 seeds' default-bug-whole.txt && ok ||
  bad "default sweep at 3 seeds met every expectation (the test needs one unmet): $(tail -2 default-bug-whole.txt)"

# --- bad input: one line naming the file, exit 2; a recorded leak, exit 3 -----
expect_exit() {
  local want=$1 pattern=$2; shift 2
  "$wbsim" "$@" >out.txt 2>err.txt
  local code=$?
  if [ "$code" -ne "$want" ]; then bad "wbsim $*: exit $code, want $want: $(cat err.txt)"; return; fi
  if [ "$want" -eq 2 ] && [ "$(wc -l <err.txt)" -ne 1 ]; then bad "wbsim $*: stderr not one line: $(cat err.txt)"; return; fi
  if ! grep -qE -- "$pattern" err.txt out.txt; then bad "wbsim $*: output lacks '$pattern': $(cat err.txt)"; return; fi
  ok
}
printf '{"format": "wbsim-sweep-report 1",\n "seeds": 1,,}\n' >broken.json
expect_exit 2 '^wbsim: broken\.json: not JSON: .*line 2, column' merge m.json pass-3-0.json broken.json
expect_exit 2 '^wbsim: nosuch\.json: cannot read' merge m.json nosuch.json
expect_exit 2 'shard 2/3 is missing' merge m.json pass-3-0.json pass-3-1.json
cp pass-3-1.json pass-3-1b.json
expect_exit 2 '^wbsim: pass-3-1\.json: shard 1/3 again \(also pass-3-1b\.json\)' \
  merge m.json pass-3-0.json pass-3-1b.json pass-3-1.json pass-3-2.json
"$wbsim" sweep --scenario 'canary/*' --scenario 'sim/*' --seeds 17 --shard 1/3 --json other.json >/dev/null 2>&1
expect_exit 2 '^wbsim: other\.json: not a shard of the sweep of pass-3-0\.json: seeds 17, but 16' \
  merge m.json pass-3-0.json other.json pass-3-2.json
expect_exit 2 '^wbsim: bug-3-1\.json: not a shard of the sweep of pass-3-0\.json: scenarios differ' \
  merge m.json pass-3-0.json bug-3-1.json pass-3-2.json
sed 's/"seed_base":1,/"seed_base":"one",/' pass-3-1.json >typo.json
expect_exit 2 '^wbsim: typo\.json: /seed_base: not a whole number$' merge m.json pass-3-0.json typo.json pass-3-2.json
sed 's/"shard":{"index":1,"count":3}/"shard":{"index":1,"count":4000000000}/' pass-3-1.json >huge.json
expect_exit 2 '^wbsim: huge\.json: /shard: 1/4000000000 is not a shard$' merge m.json pass-3-0.json huge.json
expect_exit 2 'the output is also a shard file' merge pass-3-0.json pass-3-0.json pass-3-1.json pass-3-2.json
sed 's/"determinism_mismatch":null/"determinism_mismatch":{"scenario":"sim\/lost_wakeup","seed":5,"first_hash":1,"second_hash":2,"first_difference":"trace line 3"}/' \
  pass-3-2.json >leak.json
expect_exit 3 '^HARNESS: determinism leak in sim/lost_wakeup seed 5' merge m.json pass-3-0.json pass-3-1.json leak.json

echo "sweep_merge: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
