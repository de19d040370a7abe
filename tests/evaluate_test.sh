#!/usr/bin/env bash
# wbsim evaluate on one bug with two base seeds: the Markdown table's header,
# one row with a cell per strategy, the summary lines, the --out file; bad
# flags exit 2 with one line.
# Usage: evaluate_test.sh WBSIM
set -u
wbsim=$1
. "$(dirname "$0")/test_lib.sh"

bug=ploop-flush-before-fsync
"$wbsim" evaluate --bug "$bug" --base-seeds 2 --cap 50 --explore-cap 50 --jobs 1 >table.md 2>err.txt
code=$?
[ "$code" -eq 0 ] && ok || bad "evaluate: exit $code: $(cat err.txt)"
head -1 table.md | grep -qx '| bug | checker | scenarios | random | pct:1 | pct:2 | pct:3 | explore K=1 | explore K=2 |' &&
  ok || bad "evaluate: header: $(head -1 table.md)"
sed -n 2p table.md | grep -qx '|---|---|---|---|---|---|---|---|---|' && ok || bad "evaluate: rule: $(sed -n 2p table.md)"
row=$(grep "^| $bug | " table.md)
# Nine cells: the bug, its checker, the scenario count and six strategies,
# each "RUNS / TIME", "> CAP", or an explore search that found nothing.
[ "$(printf '%s\n' "$row" | awk -F'|' '{print NF - 2}')" -eq 9 ] && ok || bad "evaluate: row: $row"
printf '%s\n' "$row" | awk -F'|' '{for (i = 5; i <= 10; i++) print $i}' >cells.txt
grep -Evq '^ ([0-9]+ / [0-9.]+ m?s|> 50( \([0-9]+/2\))?|[0-9]+ / [0-9.]+ m?s \([0-9]+/2\)|— \(.*\)) $' cells.txt &&
  bad "evaluate: a cell out of format: $(cat cells.txt)" || ok
grep -Eq '^Fewest runs to detection \(median; ties count for each\): random [0-9]+, pct:1 [0-9]+, pct:2 [0-9]+, pct:3 [0-9]+, explore K=1 [0-9]+, explore K=2 [0-9]+\.$' table.md &&
  ok || bad "evaluate: summary line"
grep -Eq '^1 bugs, 2 base seeds, cap 50 runs, explore cap 50 schedules per scenario; 10 searches' table.md && ok || bad "evaluate: totals line: $(tail -1 table.md)"

"$wbsim" evaluate --bug "$bug" --base-seeds 1 --cap 5 --explore-cap 5 --jobs 1 --out written.md >out.txt 2>&1 &&
  grep -q "^| $bug | " written.md && grep -q '^evaluate: wrote written.md (1 bugs)$' out.txt && ok ||
  bad "evaluate --out: $(cat out.txt)"

expect_usage "^wbsim: --bug 'no-such-bug': unknown bug" evaluate --bug no-such-bug
expect_usage "^wbsim: --base-seeds 0: must be 1 to 1000" evaluate --base-seeds 0
expect_usage "^wbsim: --cap 'many'" evaluate --cap many
expect_usage "^wbsim: --jobs 0: must be 1 to 1024" evaluate --jobs 0
expect_usage "^wbsim: --out 'no/such/t.md'" evaluate --bug "$bug" --out no/such/t.md
expect_usage "^wbsim: .*--frobnicate" evaluate --frobnicate

echo "evaluate: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
