#!/usr/bin/env bash
# ci/mutate's mutants without building anything: `--dry-run` lists them in an
# order fixed by --order; each names a real line of an engine source (not a
# planted variant, not an assertion or a trace call) and changes it.
# Usage: mutate_dry_run_test.sh SOURCE_DIR
set -u
src=$1
. "$(dirname "$0")/test_lib.sh"

"$src/ci/mutate" 60 --dry-run >a.txt 2>err.txt && ok || bad "dry run failed: $(cat err.txt)"
"$src/ci/mutate" 60 --dry-run >b.txt 2>&1
"$src/ci/mutate" 60 --dry-run --order 2 >c.txt 2>&1
[ "$(wc -l <a.txt)" -eq 60 ] && ok || bad "want 60 mutants, got $(wc -l <a.txt)"
cmp -s a.txt b.txt && ok || bad "two dry runs list different mutants"
cmp -s a.txt c.txt && bad "--order 2 lists the same mutants as --order 1" || ok
kinds=$(cut -f3 a.txt | sort -u | tr '\n' ' ')
[ "$kinds" = "cmp drop logic off1 swap " ] && ok || bad "kinds of 60 mutants: $kinds"
while IFS=$'\t' read -r file line kind orig mut; do
  case $file in model/netfs/*.cpp|model/mm/*.cpp) ;; *) bad "$file: not an engine source"; continue ;; esac
  case $file in */variants*) bad "$file:$line: a planted variant mutated"; continue ;; esac
  have=$(sed -n "${line}p" "$src/$file")
  want=$(perl -e '$_ = shift; s/\\t/\t/g; s/\\\\/\\/g; print' -- "$orig")
  [ "$have" = "$want" ] || { bad "$file:$line: the mutant's line is not the file's: '$want' vs '$have'"; continue; }
  [ "$orig" != "$mut" ] || { bad "$file:$line: the mutant changes nothing"; continue; }
  echo "$orig" | grep -qE 'SIM_ASSERT|SIM_CHECK|WARN_ON|MODEL_EVENT' && { bad "$file:$line: an assertion or event mutated"; continue; }
  ok
done <a.txt
# Two plain stores that commute are never swapped (an equivalent mutant by
# construction); a store and a call, or two stores where one reads what the
# other writes, are.
cat >fixture.cpp <<'CPP'
void f(Req* a, Req* b) {
  a->len = 1;
  b->start = 2;
  b->len = a->start;
  loff_t end = 1;
  bool boundary = false;
  ++busy;
  wake_up(b);
  busy = 0;
  sr.len = sr.transferred + part;
  len -= part;
  x.len = 1;
  len = x.len;
}
CPP
perl "$src/ci/mutants.pl" 1 fixture.cpp | awk -F'\t' '$4 == "swap" { print $3 }' | sort -n | tr '\n' ' ' >swaps.txt
[ "$(cat swaps.txt)" = "3 7 8 12 " ] && ok ||
  bad "swaps at lines $(cat swaps.txt), want 3 7 8 12 (not 2, 4, 5, 6, 9, 10, 11: commuting stores and declarations; a local is not a member of the same name)"
# Every listed equivalent mutant names a line its file still has, and says why.
while IFS=$'\t' read -r file kind orig mut why occ; do
  case $file in '#'*|'') continue ;; esac
  [ -n "$why" ] || { bad "ci/mutants-equivalent.tsv: $file $kind '$orig': no reason given"; continue; }
  want=$(perl -e '$_ = shift; s/\\t/\t/g; s/\\\\/\\/g; print' -- "$orig")
  have=$(sed 's/^[ \t]*//' "$src/$file" | grep -cxF -- "$want")
  [ "$have" -ge "${occ:-1}" ] && ok ||
    bad "ci/mutants-equivalent.tsv: $file has ${have} line(s) '$want', the entry needs ${occ:-1} (stale entry)"
done <"$src/ci/mutants-equivalent.tsv"
# --report judges an earlier run's results again against the list: a
# survivor the list names is equivalent, left out of the score.
mkdir -p rj
eq=$(grep -v '^#' "$src/ci/mutants-equivalent.tsv" | head -n 1)
IFS=$'\t' read -r efile ekind eorig emut _ <<<"$eq"
{
  printf 'killed(1)\tmodel/mm/folio.cpp\t10\tcmp\ta < b\ta <= b\n'
  printf 'survived\t%s\t1\t%s\t  %s\t  %s\n' "$efile" "$ekind" "$eorig" "$emut"
  printf 'survived\tmodel/mm/folio.cpp\t20\tdrop\tfoo();\t;\n'
} >rj/results.tsv
"$src/ci/mutate" --report --dir rj >rep.txt 2>&1 && ok || bad "--report failed: $(cat rep.txt)"
grep -q '3 mutants ran, 1 killed,' rep.txt && grep -q '^1 survived, 1 equivalent' rep.txt && grep -q 'Score: 50.0%' rep.txt &&
  ok || bad "--report: $(sed -n 3,5p rep.txt)"
# An entry with an OCCURRENCE covers that occurrence of its line only: the
# list's second `netfs_folio_written_back(folio, &wreq);` of write_issue.cpp.
mkdir -p occ/src/model/netfs
cp "$src/model/netfs/write_issue.cpp" occ/src/model/netfs/
lines=$(grep -n '^ *netfs_folio_written_back(folio, &wreq);$' occ/src/model/netfs/write_issue.cpp | cut -d: -f1 | tr '\n' ' ')
set -- $lines
{
  printf 'survived\tmodel/netfs/write_issue.cpp\t%s\tdrop\t      netfs_folio_written_back(folio, &wreq);\t      ;  // mutant: call dropped\n' "$1"
  printf 'survived\tmodel/netfs/write_issue.cpp\t%s\tdrop\t    netfs_folio_written_back(folio, &wreq);\t    ;  // mutant: call dropped\n' "$2"
} >occ/results.tsv
"$src/ci/mutate" --report --dir occ >occ.txt 2>&1 && grep -q '^1 survived, 1 equivalent' occ.txt &&
  grep -q "^| model/netfs/write_issue.cpp:$1 |" occ.txt && ok || bad "--report with an occurrence: $(sed -n 3,12p occ.txt)"
# --again runs an earlier run's survivors again, found by their text in the
# tree as it is now, and carries every other verdict over; a survivor whose
# line is gone stays a survivor, run or not.
# The first listed mutant whose line's text occurs once in its file (a text
# that recurs needs --again-base to tell its lines apart).
unique=$(while IFS=$'\t' read -r f l k o m; do
  t=$(sed -n "${l}p" "$src/$f" | sed 's/^[ \t]*//')
  [ "$(sed 's/^[ \t]*//' "$src/$f" | grep -cxF -- "$t")" -eq 1 ] && { printf '%s\t%s\t%s\t%s\t%s\n' "$f" "$l" "$k" "$o" "$m"; break; }
done <a.txt)
IFS=$'\t' read -r _ afile aline akind aorig amut <<<"$(printf 'x\t%s' "$unique")"
{
  printf 'survived\t%s\t%s\t%s\t%s\t%s\n' "$afile" "$((aline + 7))" "$akind" "$aorig" "$amut"
  printf 'killed(1)\tmodel/mm/folio.cpp\t10\tcmp\ta < b\ta <= b\n'
  printf 'survived\tmodel/mm/folio.cpp\t20\tdrop\tno_such_call_any_more();\t;  // mutant: call dropped\n'
} >again.tsv
"$src/ci/mutate" --again again.tsv --dir ag --dry-run >ag.txt 2>&1 && ok || bad "--again --dry-run failed: $(cat ag.txt)"
grep -q -- '--again: 1 survivors to run again, 2 verdicts carried over' ag.txt && ok || bad "--again: $(head -n 1 ag.txt)"
[ "$(sed -n 2p ag.txt | cut -f1-3)" = "$afile	$aline	$akind" ] && ok || bad "--again drew '$(sed -n 2p ag.txt | cut -f1-3)', want the survivor at its line now, $afile:$aline"
mutate_usage() { "$src/ci/mutate" "$@" >out.txt 2>err.txt; local c=$?
  [ "$c" -eq 2 ] && [ "$(wc -l <err.txt)" -eq 1 ] && ok || bad "ci/mutate $*: exit $c, stderr: $(cat err.txt)"; }
mutate_usage --seeds 0
mutate_usage nosuch.cpp
mutate_usage --bogus
mutate_usage --report --dir nosuch
mutate_usage --again nosuch.tsv
mutate_usage --again again.tsv --again-base no-such-commit --dir ag2

echo "mutate_dry_run: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
