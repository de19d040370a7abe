#!/usr/bin/env bash
# The kernel still produces the committed request streams: every log x mode
# of tests/data/fuse/ replayed on a real FUSE mount (tools/fuse-oracle/run.sh)
# must give the committed stream line for line. Skipped without root,
# /dev/fuse or the oracle's programs (libfuse3 missing at build time).
#   oracle_test.sh BIN_DIR SOURCE_DIR
set -uo pipefail
bin=$1 src=$2
if [ ! -c /dev/fuse ]; then echo "skipped: no /dev/fuse"; exit 0; fi
if [ "$(id -u)" -ne 0 ]; then echo "skipped: not root (mounting needs it)"; exit 0; fi
if [ ! -x "$bin/fuse-oracle-server" ] || [ ! -x "$bin/fuse-oracle-replay" ]; then
  echo "skipped: fuse-oracle not built (libfuse3-dev missing)"; exit 0
fi
status=0
out=$(mktemp)
for expected in "$src"/tests/data/fuse/*.fuse-expected; do
  name=$(basename "$expected" .fuse-expected)   # LOG.MODE
  log=${name%.*} mode=${name##*.}
  if ! "$src/tools/fuse-oracle/run.sh" "$bin" "$src/tests/data/fsx/$log.fsxops" "$mode" "$out"; then
    echo "FAIL $name: the oracle run failed"; status=1; continue
  fi
  if cmp -s "$expected" "$out"; then
    echo "PASS $name: $(wc -l < "$out") requests as committed"
  else
    echo "FAIL $name: the kernel's stream differs from $expected:"
    diff "$expected" "$out" | head -6
    status=1
  fi
done
rm -f "$out"
exit $status
