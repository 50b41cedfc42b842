#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# dupsbench.sh [CGROUPS] [RECORDS]: the attribution benchmark of
# tools/cgroup/pagecache_dups, on the host.  test_pagecache_dups_gen makes
# a cgroup tree of CGROUPS [1000] cgroups holding RECORDS [1000000]
# records in all (a root whose file repeats its children's records, as an
# inner cgroup's does), and the same number of records in one flat file.
# The report is timed on the tree (--root, which attributes an inner
# cgroup's records by merging its children's sorted lists) and on the flat
# file (--input), three times each, interleaved; prints the median times
# and their ratio.  Not a test, and not run by test.sh.
. "$(dirname "$0")/lib.sh"

ncg=${1:-1000} nrec=${2:-1000000}
W=$B/dupsbench
rm -rf "$W"
mkdir -p "$W/bin" "$W/tree"
make -s -C "$TOP/tools/cgroup" OUTPUT="$W/bin/" >/dev/null
"$W/bin/test_pagecache_dups_gen" bench "$W/tree" "$ncg" "$nrec"
mv "$W/tree/flat" "$W/flat"

secs() {	# secs CMD...: wall seconds of CMD, its output dropped
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null || die "dupsbench: $* failed"
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }'
}
median() { sort -g | sed -n 2p; }

tree=() flat=()
for _ in 1 2 3; do
	tree+=("$(secs "$W/bin/pagecache_dups" -j --root "$W/tree")")
	flat+=("$(secs "$W/bin/pagecache_dups" -j --input "/=$W/flat")")
done
t=$(printf '%s\n' "${tree[@]}" | median)
f=$(printf '%s\n' "${flat[@]}" | median)
echo "records $nrec, cgroups $ncg, $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg)"
echo "--root tree: ${tree[*]} s (median $t)"
echo "--input flat: ${flat[*]} s (median $f)"
echo "tree / flat: $(awk -v a="$t" -v b="$f" 'BEGIN { printf "%.2f", a / b }')"
