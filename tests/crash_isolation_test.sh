#!/usr/bin/env bash
# Every way a run can die is a finding of its seed, and the sweep goes on:
# tests/data/crash/crash_kinds.cpp (compiled with --script, so no such
# scenario is ever in wbsim's own list) dies on the seeds divisible by 3 by
# an exception from host code, `throw 42` in a fiber, a null dereference,
# a stack overflow, abort() and a failed assertion. The sweep must name each
# as a finding of seed 3 with its reproduce line, print its table, and write
# the failure files and the JUnit report.
# Usage: crash_isolation_test.sh WBSIM SOURCE_DIR
set -u
wbsim=$1
src=$2
. "$(dirname "$0")/test_lib.sh"
export XDG_CACHE_HOME=$work/cache

script="$src/tests/data/crash/crash_kinds.cpp"
"$wbsim" sweep --script "$script" --seeds 7 --jobs 2 --out fails --junit j.xml --json s.json >sweep.txt 2>err.txt
code=$?
[ "$code" -eq 1 ] && ok || bad "sweep: exit $code, want 1: $(tail -5 sweep.txt) $(tail -5 err.txt)"
grep -q '^sweep: 6 scenarios, 42 seeds, 12 failing seeds' sweep.txt && ok || bad "summary: $(grep '^sweep:' sweep.txt)"

# scenario|checker|message (an extended regular expression)
while IFS='|' read -r name checker message; do
  grep -qE "^crash/$name +7 +2 +0 .*FAIL: 2 failing seed\(s\)$" sweep.txt && ok || bad "$name: table row: $(grep "^crash/$name " sweep.txt)"
  grep -qE "^FAIL crash/$name seed 3: $checker: $message" sweep.txt && ok ||
    bad "$name: no 'FAIL crash/$name seed 3: $checker: ...' line: $(grep "^FAIL crash/$name" sweep.txt)"
  grep -qxF "  reproduce: $wbsim run --script $script crash/$name --seed 3" sweep.txt && ok || bad "$name: reproduce line"
  [ -s "fails/crash_${name}-seed3-$checker.wbsim" ] && ok || bad "$name: no failure file: $(ls fails)"
  grep -q "<testcase classname=\"wbsim\" name=\"crash/$name\" [^>]*><failure message=\"FAIL: 2 failing seed(s)\">seed 3: $checker" j.xml &&
    ok || bad "$name: no JUnit failure"
done <<'CASES'
host_exception|exception|uncaught exception in the scenario's host code: host code gave up
fiber_throws_int|exception|uncaught exception of a type not derived from std::exception
fiber_null_deref|crash|signal 11 \(SIGSEGV\) in fiber 'deref'
fiber_stack_overflow|stack-overflow|fiber 'recurser' overflowed its [0-9]+ KiB stack
fiber_abort|crash|signal 6 \(SIGABRT\) in fiber 'aborter'
fiber_assertion|assertion|
CASES
grep -q '"failing_seeds":12' s.json && ok || bad "json: $(head -c 200 s.json)"

# The reproduce line reproduces: the seed alone, in one process, dies the
# same way (here, of the null-page store: no verdict, a signal or a
# sanitizer's report); its neighbour passes.
# (The braces keep the shell's own "Segmentation fault" line out of the log.)
{ "$wbsim" run --script "$script" crash/fiber_null_deref --seed 3 >one.txt 2>&1; } 2>/dev/null
code=$?
[ "$code" -ne 0 ] && ! grep -qE '^(PASS|FAIL)' one.txt && ok || bad "reproduce: exit $code: $(tail -3 one.txt)"
"$wbsim" run --script "$script" crash/fiber_null_deref --seed 4 >one.txt 2>&1
code=$?
[ "$code" -eq 0 ] && ok || bad "seed 4 alone: exit $code: $(tail -3 one.txt)"

echo "crash_isolation: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
