#!/usr/bin/env bash
# tools/fuse-oracle/run.sh BIN_DIR LOG.fsxops nowb|wb OUT
# Mounts a fuse-oracle-server over a fresh directory on the root
# filesystem, tames writeback as the recordings did (strict_limit 0 on the
# mount's bdi, vm.dirty_writeback_centisecs 0, vm.dirty_expire_centisecs
# 360000), replays the log on a file of the mount, restores the settings,
# unmounts, and writes the requests in the view of tests/data/fuse/README.md
# to OUT. Needs root and /dev/fuse.
set -euo pipefail
bin=$1 log=$2 mode=$3 out=$4
work=$(mktemp -d /var/tmp/fuse-oracle.XXXXXX)
mkdir "$work/backing" "$work/mnt"
saved_wb=$(cat /proc/sys/vm/dirty_writeback_centisecs)
saved_expire=$(cat /proc/sys/vm/dirty_expire_centisecs)
bdi="" saved_strict="" server=""
restore() {
  echo "$saved_wb" > /proc/sys/vm/dirty_writeback_centisecs
  echo "$saved_expire" > /proc/sys/vm/dirty_expire_centisecs
  if [ -n "$bdi" ] && [ -e "$bdi/strict_limit" ]; then echo "$saved_strict" > "$bdi/strict_limit" || true; fi
  if mountpoint -q "$work/mnt"; then umount "$work/mnt" || umount -l "$work/mnt" || true; fi
  if [ -n "$server" ]; then wait "$server" || true; fi
  rm -rf "$work"
}
trap restore EXIT
"$bin/fuse-oracle-server" "$work/backing" "$work/mnt" "$mode" "$work/raw.log" &
server=$!
for _ in $(seq 200); do mountpoint -q "$work/mnt" && break; sleep 0.05; done
mountpoint -q "$work/mnt" || { echo "run.sh: the server did not mount" >&2; exit 1; }
bdi=/sys/class/bdi/$(mountpoint -d "$work/mnt")
saved_strict=$(cat "$bdi/strict_limit")
echo 0 > "$bdi/strict_limit"
echo 0 > /proc/sys/vm/dirty_writeback_centisecs
echo 360000 > /proc/sys/vm/dirty_expire_centisecs
"$bin/fuse-oracle-replay" "$log" "$work/mnt/f"
umount "$work/mnt"
wait "$server"
server=""
# The view: READ, GETATTR, LOOKUP, FORGET, INIT and other requests, other
# GETXATTRs and SETATTRs of times only are left out.
awk '
  /^(WRITE|CREATE|OPEN|FSYNC|FLUSH|RELEASE|FALLOCATE|COPY_FILE_RANGE|COPY_FILE_RANGE_64) / { print; next }
  /^GETXATTR / && / name=user\.fsxop\./ { print; next }
  /^SETATTR / && / valid=[^ ]*SIZE/ { print; next }
' "$work/raw.log" > "$out"
