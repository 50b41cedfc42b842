#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# README command 1: build and boot the patched kernel, let a demo cgroup
# read some files, and show its memory.pagecache_stat.
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/deps.sh"
"$TOP/scripts/tree.sh"
"$TOP/scripts/build-kernel.sh" debug

# The demo's files on the ext4 disk: two of them with the same bytes.
D=$B/disk-root/demo
mkdir -p "$D"
[ -f "$D/data-4M" ] || {
	head -c 1M /dev/urandom >"$D/data-1M"
	head -c 4M /dev/urandom >"$D/data-4M"
	cp "$D/data-1M" "$D/copy-of-data-1M"
}
mkdir -p "$B/tests"
cp "$TOP/scripts/vm/demo" "$B/tests/demo"
log=$B/log-demo.txt
PCS_VM_TIMEOUT=600 "$TOP/scripts/run-vm.sh" debug demo "$log" demo
sed -n '/^PCS-DEMO/,/^PCS-DMESG-BEGIN/p' "$log" | tr -d '\r' |
	grep -v '^PCS-DMESG' | sed 's/^PCS-DEMO //'
"$TOP/scripts/check-log.sh" "$log" >/dev/null
