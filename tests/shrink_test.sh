#!/usr/bin/env bash
# Shrinking ratio for one planted bug: the failing seed's run shrinks to at
# most a quarter of its steps, and the shrunk file still fails with the bug's
# checker (docs/shrinking.md has the table for every `wbsim bugs` line).
# With AFTER, the shrunk file must name that scenario: an mm/pressure/* copy
# whose failure needs no memory pressure shrinks to the scenario it copies.
# Usage: shrink_test.sh WBSIM BUG SCENARIO SEED [AFTER]
set -u
wbsim=$1
bug=$2
scenario=$3
seed=$4
after_scenario=${5:-$3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
fail() { echo "FAILED: $bug: $*"; exit 1; }

checker=$("$wbsim" bugs | awk -v b="$bug" '$1 == b {sub(/^checker=/, "", $3); print $3}')
[ -n "$checker" ] || fail "not a 'wbsim bugs' line"
"$wbsim" run "$scenario" --seed "$seed" --bug "$bug" --out f >run.txt 2>&1
[ $? -eq 1 ] && grep -q "^FAIL $checker:" run.txt || fail "$scenario seed $seed does not fail with $checker: $(tail -3 run.txt)"
file=$(sed -n 's/^failure file: //p' run.txt)

"$wbsim" shrink "$file" -o shrunk.wbsim >shrink.txt 2>&1
code=$?
[ "$code" -eq 1 ] && grep -q "^shrunk .* $checker still fires at " shrink.txt || fail "shrink: exit $code: $(cat shrink.txt)"
before=$(awk '/^  steps / {print $2}' shrink.txt)
after=$(awk '/^  steps / {print $4}' shrink.txt)
[[ "$before" =~ ^[0-9]+$ && "$after" =~ ^[0-9]+$ ]] || fail "no steps row in: $(cat shrink.txt)"
echo "$bug: $scenario seed $seed: $before -> $after steps"
[ $((after * 4)) -le "$before" ] || fail "kept $after of $before steps, more than a quarter"
named=$(sed -n 's/^scenario: //p' shrunk.wbsim)
[ "$named" = "$after_scenario" ] || fail "the shrunk file names '$named', not '$after_scenario'"
if [ "$after_scenario" != "$scenario" ]; then
  grep -q "^  scenario  *$scenario -> $after_scenario (memory pressure off)" shrink.txt ||
    fail "shrink does not say the scenario changed: $(head -3 shrink.txt)"
  # The sweep's --shrink says so too, and its JSON report keeps it.
  "$wbsim" sweep --scenario "$scenario" --bug "$bug" --seed-base "$seed" --seeds 1 --shrink --out sweep \
    --json sweep.json >sweep.txt 2>&1
  grep -q "^  shrunk: .* on $after_scenario (memory pressure off)" sweep.txt ||
    fail "sweep --shrink does not name $after_scenario: $(grep -A3 '^FAIL .* seed' sweep.txt)"
  grep -q "\"shrunk_scenario\":\"$after_scenario\"" sweep.json || fail "sweep.json has no shrunk_scenario"
fi

"$wbsim" replay shrunk.wbsim >replay.txt 2>&1
code=$?
[ "$code" -eq 1 ] && grep -q "^REPRODUCED: $checker fired again" replay.txt && grep -q "^FAIL $checker:" replay.txt ||
  fail "replay of the shrunk file: exit $code: $(grep -E '^(PASS|DIVER|REPRO|FAILS)' replay.txt)"

# Deterministic: shrinking the same file again writes the same file.
"$wbsim" shrink "$file" -o again.wbsim >/dev/null 2>&1
cmp -s shrunk.wbsim again.wbsim || fail "a second shrink of the same file wrote a different file"
echo "ok"
