# Part of the command-line contract (sourced by tests/cli_test.sh, which
# defines $wbsim, $fsxdir, expect_usage, ok and bad): inputs nothing else
# bounds. Each is refused with exit 2 and one line naming it, before any run.

# Logs and transcripts that hold nothing to replay or compare, and a log
# whose operation would allocate more than --max-op-bytes, are bad input.
: >empty.fsxops
expect_usage "^wbsim: empty.fsxops: no operations" fsx empty.fsxops
printf '# nothing but a comment\n\n' >comments.fsxops
expect_usage "^wbsim: comments.fsxops: no operations" fsx comments.fsxops
mkdir -p a-directory
expect_usage "fsx log 'a-directory': is a directory" fsx a-directory
printf 'write 0x0 0x10 0x0\nwrite 0x0 0x100000000 0x10\n' >huge.fsxops
expect_usage "huge.fsxops:2: write reaches byte 4294967296 of the file, past --max-op-bytes 1073741824" fsx huge.fsxops
expect_usage "huge.fsxops:1: write reaches byte 16 of the file, past --max-op-bytes 8" fsx huge.fsxops --max-op-bytes 8
expect_usage "--max-op-bytes 'lots'" fsx huge.fsxops --max-op-bytes lots
: >empty.expected
expect_usage "--expected 'empty.expected': the transcript is empty" fsx "$fsxdir/edge-cases.fsxops" --expected empty.expected
expect_usage "--expected transcript 'a-directory': is a directory" fsx "$fsxdir/edge-cases.fsxops" --expected a-directory
expect_usage "cannot read --expected transcript 'nope.expected'" fsx "$fsxdir/edge-cases.fsxops" --expected nope.expected
expect_usage "--transcript 'a-directory': is a directory" fsx "$fsxdir/edge-cases.fsxops" --transcript a-directory

# --- where output goes: checked before the first run ------------------------------
: >plain-file
expect_usage "--out 'plain-file/sub': 'plain-file' is not a directory" sweep --scenario sim/abba_race --seeds 1 --out plain-file/sub
grep -q '^wbsim sweep:' out.txt && bad "sweep started before refusing its --out" || ok
expect_usage "--junit 'a-directory': is a directory" sweep --scenario sim/abba_race --seeds 1 --junit a-directory
expect_usage "--json 'no/such/s.json': directory 'no/such' does not exist" sweep --scenario sim/abba_race --seeds 1 --json no/such/s.json
expect_usage "--out 'plain-file': 'plain-file' is not a directory" run canary/abba_deadlock --out plain-file
expect_usage "--trace 'a-directory': is a directory" run canary/abba_deadlock --trace a-directory
expect_usage "--out 'plain-file': 'plain-file' is not a directory" explore sim/abba_race --out plain-file
expect_usage "--quick 'abc': must be 0 or 1" bench --quick abc

# A temporary left by a writer that was killed is removed by the next
# write to its folder; a live process's is not.
mkdir -p stale
sleep 0 &
dead=$!
wait "$dead"
echo partial >"stale/canary_abba_deadlock-seed9-deadlock.wbsim.tmp$dead"
echo mine >"stale/other.wbsim.tmp$$"
"$wbsim" run canary/abba_deadlock --seed 1 --out stale >/dev/null 2>&1
[ ! -e "stale/canary_abba_deadlock-seed9-deadlock.wbsim.tmp$dead" ] && ok || bad "a dead writer's temporary was kept"
[ -e "stale/other.wbsim.tmp$$" ] && ok || bad "a live process's temporary was removed"
