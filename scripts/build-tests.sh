#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build and install the cgroup selftests the way upstream does,
# `make -C tools/testing/selftests TARGETS=cgroup install`, into
# $B/kselftest: run_kselftest.sh, the runner, kselftest-list.txt and
# cgroup/ with the programs and "settings".  run-vm.sh puts them on the
# VM's disk (the C library they link goes to its initramfs), and /init
# runs them with run_kselftest.sh, which runs each program as `make
# run_tests` does (the same runner.sh).  Then the harness's own programs,
# static, into $B/tests.
. "$(dirname "$0")/lib.sh"

ksft=$B/kselftest
progs="test_memcontrol test_pagecache_stat test_pagecache_stat_reliability"
out=$B/tests
mkdir -p "$out"
# From scratch (ccache makes it quick): make would keep programs built with
# other flags.  (The harness once built the selftests into $out: no stale
# copy may stay there.)
rm -rf "$ksft" "$B/kselftest-build"
for t in $progs; do
	rm -f "${out:?}/$t" "$out/$t.log"
done
log=$B/kselftest-build.log
make -C "$SRC/tools/testing/selftests" O="$B/kselftest-build" TARGETS=cgroup \
	CC="ccache gcc" KSFT_INSTALL_PATH="$ksft" \
	install >"$log" 2>&1 ||
	{ tail -n 40 "$log" >&2; die "tests: the cgroup selftests do not build, see $log"; }
# Warnings in the files the series adds fail; others are printed.
if grep -E '(pagecache_stat[a-z_]*\.[ch]):[0-9]+:[0-9]+: warning' "$log" >&2; then
	die "tests: warnings in the new selftests, see $log"
fi
grep 'warning:' "$log" >&2 || true
for t in $progs; do
	grep -qx "cgroup:$t" "$ksft/kselftest-list.txt" ||
		die "tests: cgroup:$t is not in $ksft/kselftest-list.txt"
done
cp "$TOP/scripts/vm/check_feature_off" "$out/"

# The duplicate report and its tests; programs the tests call (not tests
# themselves) go to data/, which the VM gets as /tests/data.
mkdir -p "$out/data"
make -s -C "$SRC/tools/cgroup" OUTPUT="$out/data/" CC="ccache gcc" \
	LDFLAGS=-static >"$out/pagecache_dups.log" 2>&1 ||
	{ cat "$out/pagecache_dups.log" >&2; die "tests: pagecache_dups does not build"; }
grep -q 'warning:' "$out/pagecache_dups.log" && cat "$out/pagecache_dups.log" >&2
cp "$SRC/tools/cgroup/test_pagecache_dups.sh" "$out/"
[ -d "$SRC/tools/cgroup/testdata" ] && cp -r "$SRC/tools/cgroup/testdata" "$out/data/"
