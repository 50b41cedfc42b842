#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build the selftest programs the VM runs, statically, from $SRC, into
# $B/tests.
. "$(dirname "$0")/lib.sh"

CG=$SRC/tools/testing/selftests/cgroup
out=$B/tests
mkdir -p "$out"
# The flags of the selftests Makefile (no -O: GCC would elide test_memcontrol's
# malloc-touch-free allocations), static for the initramfs.
CFLAGS="-static -Wall -pthread -I$SRC/tools/testing/selftests -I$CG"

build() {
	local name=$1; shift
	# shellcheck disable=SC2086
	ccache gcc $CFLAGS -o "$out/$name" "$@" 2>"$out/$name.log" ||
		{ cat "$out/$name.log" >&2; die "tests: $name does not build"; }
	grep -q 'warning:' "$out/$name.log" && cat "$out/$name.log" >&2
	return 0
}

build test_memcontrol "$CG/test_memcontrol.c" "$CG/cgroup_util.c"
if [ -f "$CG/test_pagecache_stat.c" ]; then
	build test_pagecache_stat "$CG/test_pagecache_stat.c" "$CG/cgroup_util.c"
fi
cp "$TOP/scripts/vm/check_feature_off" "$out/"
