#!/usr/bin/env bash
# The bug zoo from the command line: each `wbsim bugs` switch is found by its
# checker in its scenarios, and only with it; the planted switches likewise;
# F1 reported as its wait-for cycle; C21 and C23 beyond their own scenarios.
# Usage: zoo_test.sh WBSIM
set -u
wbsim=$1
. "$(dirname "$0")/test_lib.sh"

# --- the bug zoo: each switch is found by its checker, and only with it ----------
"$wbsim" bugs >bugs.txt 2>&1 && ok || bad "wbsim bugs failed"
while read -r name scen checker fix; do
  [ -z "$name" ] && continue
  glob=${scen#scenarios=}
  want=${checker#checker=}
  [[ "$fix" =~ ^fix=\".+\"$ ]] && ok || bad "wbsim bugs line for $name: fix field '$fix'"
  "$wbsim" sweep --scenario "$glob" --bug "$name" --seeds 2000 --out zoo >zoo-with.txt 2>&1
  code=$?
  [ "$code" -eq 1 ] && ok || bad "--bug $name: sweep exit $code, want 1"
  grep -qE "^FAIL .* seed [0-9]+: $want: " zoo-with.txt && ok || bad "--bug $name: checker '$want' not named"
  "$wbsim" sweep --scenario "$glob" --seeds 2000 --out zoo >zoo-without.txt 2>&1
  code=$?
  [ "$code" -eq 0 ] && ok || bad "without --bug $name: sweep exit $code, want 0"
done <bugs.txt
# Planted switches (not kernel history, so not in `wbsim bugs`): each found by its checker.
for planted in "planted-retry-reports-transient-error app-contract" "planted-unbuffered-issue-past-wsize server-protocol"; do
  set -- $planted
  grep -q "^$1 " bugs.txt && bad "wbsim bugs lists $1" || ok
  "$wbsim" sweep --scenario 'netfs/*' --bug "$1" --seeds 200 --out zoo >planted.txt 2>&1
  code=$?
  [ "$code" -eq 1 ] && ok || bad "--bug $1: sweep exit $code, want 1"
  grep -qE "^FAIL .* seed [0-9]+: $2: " planted.txt && ok || bad "--bug $1: checker '$2' not named"
done
# F1 (docs/invariants.md): the reclaim deadlock is reported as its wait-for
# cycle when the cycle closes, never later as fibers nothing can wake.
"$wbsim" sweep --scenario fuse/reclaim_deadlock --bug fuse-reclaim-waits-on-writeback --seeds 40 --out zoo >f1c.txt 2>&1
grep -qE "^FAIL .* seed [0-9]+: deadlock: wait-for cycle of 1 fibers closed by 'fuse-server0'" f1c.txt && ok ||
  bad "C21: the deadlock is not reported as the server's wait-for cycle: $(grep '^FAIL' f1c.txt | head -2)"
grep -qE "^FAIL .* seed [0-9]+: deadlock: no fiber can run" f1c.txt && bad "C21: a deadlock found only when nothing could run" || ok
# F1 beyond the server's own thread: C21 hangs any task reclaiming in legacy memcg.
"$wbsim" sweep --scenario mm/reclaim_hung_fuse --bug fuse-reclaim-waits-on-writeback --seeds 200 --out zoo >f1.txt 2>&1
code=$?
[ "$code" -eq 1 ] && ok || bad "reclaim_hung_fuse with C21: sweep exit $code, want 1"
grep -qE "^FAIL .* seed [0-9]+: liveness: an allocation in legacy memcg reclaim" f1.txt && ok ||
  bad "reclaim_hung_fuse with C21: no liveness finding"
# F4 (C24): mainline's MIGRATE_SYNC waits for the writeback of a flagged
# mapping's folio; the watchdog finds the call there, not in offline_pages'
# retries.
"$wbsim" sweep --scenario fuse/migrate_under_writeback --bug fuse-migrate-waits-on-writeback --seeds 40 --out zoo >f4.txt 2>&1
grep -qE "^FAIL .* seed [0-9]+: liveness: .*'writer' is blocked in wait_on_bit\(word[0-9]+\.bit[0-9]+\) during migrate_folio \(MIGRATE_SYNC\) waiting for writeback" f4.txt && ok ||
  bad "C24: the call is not found waiting for writeback in migrate_folio: $(grep '^FAIL' f4.txt | head -2)"
# F6: C23 also stalls the flusher for the rest of the superblock.
"$wbsim" sweep --scenario fuse/flusher_isolation --bug fuse-sync-waits-for-flusher --seeds 200 --out zoo >f6.txt 2>&1
code=$?
[ "$code" -eq 1 ] && ok || bad "flusher_isolation with C23: sweep exit $code, want 1"
grep -qE "^FAIL .* seed [0-9]+: flusher-isolation: " f6.txt && ok || bad "flusher-isolation not named with C23"

echo "bug_zoo: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
