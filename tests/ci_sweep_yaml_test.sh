#!/usr/bin/env bash
# The shipped CI examples run: the shard and merge commands of
# ci/k8s/sweep-job.yaml (a Kubernetes Indexed Job) and ci/github/sweep.yml
# (a GitHub Actions matrix), taken from the files as they are, run with 3
# shards on a small selection, in the environment each platform gives them;
# the merge's exit code and summary equal the unsharded sweep's.
# Usage: ci_sweep_yaml_test.sh WBSIM SOURCE_DIR
set -u
wbsim=$1
src=$2
. "$(dirname "$0")/test_lib.sh"

# The commands run as the platforms run them: `wbsim` from PATH.
mkdir bin && ln -s "$wbsim" bin/wbsim
export PATH="$work/bin:$PATH"

# command_block FILE MARKER: the script that starts with the comment line
# `# MARKER`, up to where the YAML block's indentation ends.
command_block() {
  awk -v marker="# $2" '
    !found && index($0, marker) { found = 1; match($0, /^ */); indent = RLENGTH }
    found {
      match($0, /^ */)
      if ($0 !~ /^ *$/ && RLENGTH < indent) exit
      print substr($0, indent + 1)
    }' "$1"
}

summary() {
  sed -n '/^scenario  *seeds  *failures  *expected  *steps\/s  verdict$/,$p' "$1" |
    awk 'BEGIN {table = 1} /^$/ {table = 0} table && NR > 1 {$5 = "-"} {print}' |
    sed -E 's/ steps in [0-9.]+ s$/ steps/'
}

selection="--scenario canary/* --scenario sim/lost_wakeup --scenario sim/abba_race --seeds 12 --jobs 1"
# shellcheck disable=SC2086  # the selection is words, as SWEEP_ARGS is to the commands
(set -f; "$wbsim" sweep $selection --out whole-failures >whole.txt 2>&1)
whole=$?
[ "$whole" -eq 0 ] && ok || bad "unsharded sweep exit $whole: $(tail -3 whole.txt)"
summary whole.txt >whole.sum

# run_example NAME YAML SHARD_ENV_NAME SHELL...: every shard's command with
# the shard's environment, then the merge's, run by SHELL as the platform
# runs them (Kubernetes: sh -c; GitHub Actions in a container: sh -e).
run_example() {
  local name=$1 yaml=$2 shard_var=$3 i code
  shift 3
  command_block "$yaml" wbsim-shard-command >"$name-shard.sh"
  command_block "$yaml" wbsim-merge-command >"$name-merge.sh"
  grep -q 'wbsim sweep ' "$name-shard.sh" && ok || bad "$name: no shard command in $yaml: $(cat "$name-shard.sh")"
  grep -q 'wbsim merge ' "$name-merge.sh" && ok || bad "$name: no merge command in $yaml: $(cat "$name-merge.sh")"
  for ((i = 0; i < 3; i++)); do
    env "$shard_var=$i" WBSIM_TOTAL_SHARDS=3 RESULTS="$name-results" SWEEP_ARGS="$selection" \
      "$@" "$name-shard.sh" >"$name-shard-$i.txt" 2>&1
    code=$?
    [ "$code" -eq 0 ] && ok || bad "$name: shard $i exit $code: $(tail -3 "$name-shard-$i.txt")"
    grep -q "shard $i/3" "$name-shard-$i.txt" && ok || bad "$name: shard $i ran as $(head -1 "$name-shard-$i.txt")"
  done
  [ "$(ls "$name-results"/shard-*.json | wc -l)" -eq 3 ] && ok || bad "$name: $(ls "$name-results") written"
  RESULTS="$name-results" "$@" "$name-merge.sh" >"$name-merge.txt" 2>&1
  code=$?
  [ "$code" -eq "$whole" ] && ok || bad "$name: merge exit $code, unsharded $whole: $(tail -3 "$name-merge.txt")"
  [ -s "$name-results/merged.json" ] && ok || bad "$name: no merged report"
  summary "$name-merge.txt" >"$name-merge.sum"
  cmp -s whole.sum "$name-merge.sum" && ok || { bad "$name: merged summary differs:"; diff whole.sum "$name-merge.sum"; }
}

run_example k8s "$src/ci/k8s/sweep-job.yaml" JOB_COMPLETION_INDEX sh
run_example github "$src/ci/github/sweep.yml" SHARD sh -e

# The shard counts in each file agree.
k8s_total=$(grep -A1 'name: WBSIM_TOTAL_SHARDS' "$src/ci/k8s/sweep-job.yaml" | sed -n 's/.*value: "\([0-9]*\)".*/\1/p' | sort -u)
k8s_completions=$(sed -n 's/^  completions: \([0-9]*\)$/\1/p' "$src/ci/k8s/sweep-job.yaml")
[ "$k8s_total" = "$k8s_completions" ] && ok || bad "k8s: WBSIM_TOTAL_SHARDS $k8s_total, completions $k8s_completions"
gh_total=$(sed -n 's/^  WBSIM_TOTAL_SHARDS: \([0-9]*\)$/\1/p' "$src/ci/github/sweep.yml")
gh_matrix=$(sed -n 's/^ *shard: \[\(.*\)\]$/\1/p' "$src/ci/github/sweep.yml" | tr ',' '\n' | grep -c .)
[ "$gh_total" = "$gh_matrix" ] && ok || bad "github: WBSIM_TOTAL_SHARDS $gh_total, matrix of $gh_matrix shards"

echo "ci_sweep_yaml: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
