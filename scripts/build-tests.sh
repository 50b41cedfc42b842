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
	build test_pagecache_stat "$CG/test_pagecache_stat.c" "$CG/cgroup_util.c" \
		"$CG/pagecache_stat_util.c"
fi
if [ -f "$CG/test_pagecache_stat_reliability.c" ]; then
	build test_pagecache_stat_reliability \
		"$CG/test_pagecache_stat_reliability.c" "$CG/cgroup_util.c" \
		"$CG/pagecache_stat_util.c"
fi
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
